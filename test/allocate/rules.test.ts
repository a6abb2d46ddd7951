import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { defaultPolicy, loadPolicy, parsePolicy } from '../../src/allocate/policy.ts';
import { parseOwnersFiles } from '../../src/allocate/owners.ts';
import { disputeDueDate, disputeState } from '../../src/allocate/disputes.ts';

describe('policy file', () => {
  test('the default policy: platform bucket, untagged to the bucket, retries to the owner, 95% / 2% gates', () => {
    assert.deepEqual(defaultPolicy, {
      version: 'default-1',
      platform_bucket: 'platform',
      untagged: 'bucket',
      retries: 'owner',
      discounts_and_credits: 'proportional',
      tax_and_fees: 'proportional',
      residual_variance: 'proportional',
      causes: { batch_tier: 'owner', cache_pricing: 'owner', fallback_drift: 'owner', model_alias: 'owner', streaming_partial: 'owner', retry_billing: 'unbilled_free' },
      commitments: { idle: 'separate', idle_owner: 'idle-capacity' },
      chargeback: { enabled: true, min_attributable_share: '0.95', max_variance_share: '0.02', require_key_owners: true, require_cost_center: true },
    });
    assert.equal(loadPolicy(undefined), defaultPolicy);
  });

  test('YAML and JSON files; fields left out take their defaults', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-policy-'));
    fs.writeFileSync(path.join(dir, 'p.yaml'), 'version: finance-2026-05\nuntagged: proportional\nchargeback:\n  min_attributable_share: "0.9"\n');
    fs.writeFileSync(path.join(dir, 'p.json'), JSON.stringify({ version: 'v2', retries: 'platform' }));
    const yaml = loadPolicy(path.join(dir, 'p.yaml'));
    assert.equal(yaml.version, 'finance-2026-05');
    assert.equal(yaml.untagged, 'proportional');
    assert.equal(yaml.chargeback.min_attributable_share, '0.9');
    assert.equal(yaml.chargeback.max_variance_share, '0.02');
    assert.equal(loadPolicy(path.join(dir, 'p.json')).retries, 'platform');
  });

  test('errors name the path of every bad field and what to do', () => {
    assert.throws(
      () => parsePolicy({ untagged: 'spread', chargeback: { min_attributable_share: 0.95, typo: true } }, 'policy.yaml'),
      (error: Error & { hint?: string }) => {
        assert.match(error.message, /policy\.yaml is not a valid allocation policy/);
        assert.match(error.message, /untagged: /);
        assert.match(error.message, /chargeback\.min_attributable_share: /);
        assert.match(error.message, /typo/);
        assert.match(error.hint ?? '', /recon policy check/);
        return true;
      },
    );
  });
});

describe('owners file', () => {
  test('one file with a team section and a gateway key section', () => {
    const content = parseOwnersFiles([
      {
        name: 'owners.csv',
        text: 'team,cost_center,owner,monthly_budget\nsupport,cc-4210,dana@example.com,"2,500.00"\nsales,cc-5100,lee@example.com,\n\ngateway_key_id,team,service,environment\nkey-support,support,ticket-triage,production\n',
      },
    ]);
    assert.deepEqual(content.problems, []);
    assert.deepEqual(content.teams, [
      { team: 'support', cost_center: 'cc-4210', owner: 'dana@example.com', monthly_budget: '2500.00' },
      { team: 'sales', cost_center: 'cc-5100', owner: 'lee@example.com', monthly_budget: null },
    ]);
    assert.deepEqual(content.keys, [{ gateway_key_id: 'key-support', team: 'support', service: 'ticket-triage', environment: 'production' }]);
  });

  test('a key map alone leaves the teams as they are (teams: null)', () => {
    const content = parseOwnersFiles([{ name: 'keys.csv', text: 'gateway_key_id,team\nk1,sales\n' }]);
    assert.equal(content.teams, null);
    assert.equal(content.keys?.length, 1);
  });

  test('problems carry file and line: duplicates, bad budgets, missing header', () => {
    const content = parseOwnersFiles([{ name: 'o.csv', text: 'team,cost_center,owner,monthly_budget\nsales,cc,x,lots\nsales,cc,x,1\n' }]);
    assert.deepEqual(content.problems, ['o.csv line 2: monthly_budget "lots" is not a non-negative amount', 'o.csv line 3: team "sales" is listed twice']);
    assert.match(parseOwnersFiles([{ name: 'n.csv', text: 'sales,cc\n' }]).problems[0]!, /n\.csv line 1: expected a header row/);
  });
});

describe('dispute due dates (five business days)', () => {
  test('issued on a Friday: due the next Friday, the weekend skipped', () => {
    assert.equal(disputeDueDate('2026-05-29'), '2026-06-05');
  });
  test('issued on a Saturday or Sunday: counting starts on Monday', () => {
    assert.equal(disputeDueDate('2026-05-30'), '2026-06-05');
    assert.equal(disputeDueDate('2026-05-31'), '2026-06-05');
  });
  test('year rollover: issued 2026-12-30 is due 2027-01-06', () => {
    assert.equal(disputeDueDate('2026-12-30'), '2027-01-06');
  });
  test('leap day counts as a business day (2028-02-29 is a Tuesday)', () => {
    assert.equal(disputeDueDate('2028-02-24'), '2028-03-02');
  });
  test('open disputes past their due day show as overdue', () => {
    assert.equal(disputeState('open', '2026-06-05', '2026-06-08'), 'open (overdue)');
    assert.equal(disputeState('open', '2026-06-05', '2026-06-05'), 'open');
    assert.equal(disputeState('accepted', '2026-06-05', '2026-06-08'), 'accepted');
  });
});
