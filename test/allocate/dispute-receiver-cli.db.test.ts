import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliTarget, runCli, runCliJson, type CliTarget } from '../e2e/cli-harness.ts';
import { testBackends } from '../support/db.ts';

// Disputes move money to someone. The month: research's 5,000,000 input tokens and 2,500,000
// untagged ones of gpt-4.1 at $2.00 per 1M, invoiced at exactly that: research 10.00, and 5.00
// untagged, which the default policy keeps in the platform bucket. The platform team then
// disputes 3.00 of it as research's eval traffic: accepted with --to research, the next run
// charges platform 2.00 and research 13.00, still 15.00 in all.

const CARD = [
  'provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source,region,min_input_tokens',
  'openai,gpt-4.1-2025-04-14,standard,input,2.00,2026-01-01,,d-v1,hand,,',
  'openai,gpt-4.1-2025-04-14,standard,output,8.00,2026-01-01,,d-v1,hand,,',
].join('\n');
const LEDGER = [
  'request_id,timestamp,provider,response_model,input_tokens,output_tokens,service_tier,status,team',
  'd-1,2026-05-06T10:00:00Z,openai,gpt-4.1-2025-04-14,5000000,0,standard,ok,research',
  'd-2,2026-05-06T11:00:00Z,openai,gpt-4.1-2025-04-14,2500000,0,standard,ok,',
].join('\n');
const INVOICE = [
  'provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type,sku',
  'openai,INV-D,2026-05-06,gpt-4.1-2025-04-14,input,standard,7500000,15.00,USD,usage,',
].join('\n');

interface Summary { run_id: string; no_change: boolean; allocated_total: string; allocations: { team: string; amount: string }[] }
const charges = (s: Summary) => Object.fromEntries(s.allocations.map((a) => [a.team, a.amount]));

for (const backend of testBackends()) {
  describe(`an accepted dispute names who takes the amount [${backend}]`, () => {
    let target: CliTarget;
    before(async () => {
      target = await cliTarget(backend);
      for (const [name, text] of [['card.csv', CARD], ['ledger.csv', LEDGER], ['invoice.csv', INVOICE]] as const) fs.writeFileSync(path.join(target.dir, name), text);
      await runCliJson(target, ['ratecard', 'import', path.join(target.dir, 'card.csv')]);
      await runCliJson(target, ['ingest', 'ledger', path.join(target.dir, 'ledger.csv')]);
      await runCliJson(target, ['ingest', 'invoice', path.join(target.dir, 'invoice.csv')]);
    });
    after(async () => target.cleanup());

    test('the bucket\'s own dispute moves its amount to the team it names on the next run', async () => {
      const first = await runCliJson<Summary>(target, ['run', '--period', '2026-05']);
      assert.deepEqual(charges(first), { platform: '5.00', research: '10.00' });

      const opened = await runCliJson<{ id: string }>(target, ['dispute', 'open', '--period', '2026-05', '--team', 'platform', '--reason', 'research eval traffic on the shared key', '--amount', '3.00']);
      const nowhere = await runCli(target, ['dispute', 'resolve', opened.id, '--accept', '--note', 'confirmed']);
      assert.equal(nowhere.code, 2);
      assert.match(nowhere.stderr, /would move nothing/);
      assert.match(nowhere.stderr, /--to TEAM/);

      const accepted = await runCliJson<{ status: string; receiving_team: string }>(target, ['dispute', 'resolve', opened.id, '--accept', '--to', 'research', '--note', 'confirmed from the eval logs']);
      assert.deepEqual([accepted.status, accepted.receiving_team], ['accepted', 'research']);

      const second = await runCliJson<Summary>(target, ['run', '--period', '2026-05']);
      assert.equal(second.no_change, false);
      assert.deepEqual(charges(second), { platform: '2.00', research: '13.00' });
      assert.equal(second.allocated_total, '15.00');
    });

    test('a team\'s dispute accepted without --to goes to the policy bucket', async () => {
      const opened = await runCliJson<{ id: string }>(target, ['dispute', 'open', '--period', '2026-05', '--team', 'research', '--reason', 'a load test', '--amount', '1.50']);
      const accepted = await runCli(target, ['dispute', 'resolve', opened.id, '--accept', '--note', 'load test, platform owns it']);
      assert.equal(accepted.code, 0, accepted.stderr);
      assert.match(accepted.stdout, /1\.50 moves from research to platform/);
      const third = await runCliJson<Summary>(target, ['run', '--period', '2026-05']);
      assert.deepEqual(charges(third), { platform: '3.50', research: '11.50' });
    });
  });
}
