import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliTarget, runCli, runCliJson, type CliTarget } from '../e2e/cli-harness.ts';
import { testBackends } from '../support/db.ts';

// `recon price --request ID` prints the exact cost of a record, per category, with the card line
// behind each price. The expected figures are worked out by hand from the card below (USD per 1M
// tokens), for the three records on which run, audit and dispute workbook used to disagree:
//   r-eu:      300k input in eu; the card has an eu line (4.00) and a >200k long-context line (5.00):
//              the regional line wins: 300,000 × 4.00 / 1M = 1.20
//   r-geo:     Bedrock `us.`-prefixed Claude: the `us` geo line (3.30) prices it, not the base (3.00):
//              100,000 × 3.30 / 1M = 0.33
//   r-reason:  1M output, 400k of it reasoning; output 0.40 and reasoning 0.60 per 1M:
//              600,000 × 0.40 / 1M + 400,000 × 0.60 / 1M = 0.24 + 0.24 = 0.48
// and a request whose undated alias (`claude-sonnet-4-5`) reaches the dated card line.

const CARD = [
  'provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source,region,min_input_tokens',
  'openai,gpt-4.1-2025-04-14,standard,input,2.00,2026-01-01,,truth-v1,hand,,',
  'openai,gpt-4.1-2025-04-14,standard,input,4.00,2026-01-01,,truth-v1,hand,eu,',
  'openai,gpt-4.1-2025-04-14,standard,input,5.00,2026-01-01,,truth-v1,hand,,200000',
  'openai,gpt-4.1-2025-04-14,standard,output,8.00,2026-01-01,,truth-v1,hand,,',
  'openai,o3-2025-04-16,standard,input,2.00,2026-01-01,,truth-v1,hand,,',
  'openai,o3-2025-04-16,standard,output,0.40,2026-01-01,,truth-v1,hand,,',
  'openai,o3-2025-04-16,standard,reasoning_output,0.60,2026-01-01,,truth-v1,hand,,',
  'aws.bedrock,anthropic.claude-sonnet-4-20250514-v1:0,standard,input,3.00,2026-01-01,,truth-v1,hand,,',
  'aws.bedrock,anthropic.claude-sonnet-4-20250514-v1:0,standard,input,3.30,2026-01-01,,truth-v1,hand,us,',
  'aws.bedrock,anthropic.claude-sonnet-4-20250514-v1:0,standard,output,15.00,2026-01-01,,truth-v1,hand,,',
  'anthropic,claude-sonnet-4-5-20250929,standard,input,3.00,2026-01-01,,truth-v1,hand,,',
  'anthropic,claude-sonnet-4-5-20250929,standard,output,15.00,2026-01-01,,truth-v1,hand,,',
].join('\r\n');

const LEDGER = [
  'request_id,timestamp,provider,response_model,requested_model,input_tokens,output_tokens,reasoning_output_tokens,service_tier,status,team,region,original_request_id,attempt',
  'r-eu,2026-05-04T10:00:00Z,openai,gpt-4.1-2025-04-14,gpt-4.1,300000,0,0,standard,ok,research,eu,,1',
  'r-geo,2026-05-04T10:00:01Z,aws.bedrock,us.anthropic.claude-sonnet-4-20250514-v1:0,,100000,0,0,standard,ok,growth,us-east-1,,1',
  'r-reason,2026-05-04T10:00:02Z,openai,o3-2025-04-16,o3,0,1000000,400000,standard,ok,research,,,1',
  'r-alias,2026-05-04T10:00:03Z,anthropic,claude-sonnet-4-5,claude-sonnet-4-5,10000,2000,0,standard,error,sales,,,1',
  'r-alias-2,2026-05-04T10:00:05Z,anthropic,claude-sonnet-4-5,claude-sonnet-4-5,10000,2000,0,standard,ok,sales,,r-alias,2',
].join('\n');

interface Attempt {
  request_id: string;
  attempt: number;
  canonical_model: string;
  pricing_region: string;
  cost: string;
  categories: { category: string; quantity: string; unit_price: string | null; cost: string; card_version: string | null; line_effective_from: string | null }[];
}

for (const backend of testBackends({ engines: 'both' })) {
  describe(`recon price --request [${backend}]`, () => {
    let target: CliTarget;
    before(async () => {
      target = await cliTarget(backend);
      fs.writeFileSync(path.join(target.dir, 'card.csv'), CARD);
      fs.writeFileSync(path.join(target.dir, 'ledger.csv'), LEDGER);
      await runCliJson(target, ['ratecard', 'import', path.join(target.dir, 'card.csv')]);
      await runCliJson(target, ['ingest', 'ledger', path.join(target.dir, 'ledger.csv')]);
    });
    after(async () => target.cleanup());

    const price = async (id: string, ...extra: string[]) => (await runCliJson<{ attempts: Attempt[] }>(target, ['price', '--request', id, ...extra])).attempts;
    const cat = (a: Attempt, c: string) => a.categories.find((x) => x.category === c)!;

    test('the regional line wins over the long-context line: 300k eu input costs 1.20', async () => {
      const [a] = await price('r-eu');
      assert.equal(cat(a!, 'input').unit_price, '4.00');
      assert.equal(cat(a!, 'input').cost, '1.2');
      assert.equal(a!.cost, '1.2');
      assert.equal(cat(a!, 'input').card_version, 'truth-v1');
      assert.equal(cat(a!, 'input').line_effective_from, '2026-01-01T00:00:00.000Z');
    });

    test('a Bedrock us. profile is priced at its geo line: 0.33', async () => {
      const [a] = await price('r-geo');
      assert.equal(a!.pricing_region, 'us');
      assert.equal(a!.cost, '0.33');
    });

    test('reasoning tokens take the reasoning price: 0.24 + 0.24 = 0.48', async () => {
      const [a] = await price('r-reason');
      assert.equal(cat(a!, 'output').cost, '0.48');
      assert.equal(a!.cost, '0.48');
    });

    test('an undated alias reaches the dated line; the retry is shown with the request and alone with --attempt', async () => {
      const attempts = await price('r-alias');
      assert.deepEqual(attempts.map((a) => [a.request_id, a.attempt, a.canonical_model, a.cost]), [
        // 10,000 × 3 / 1M + 2,000 × 15 / 1M = 0.03 + 0.03
        ['r-alias', 1, 'claude-sonnet-4-5-20250929', '0.06'],
        ['r-alias-2', 2, 'claude-sonnet-4-5-20250929', '0.06'],
      ]);
      const second = await price('r-alias', '--attempt', '2');
      assert.deepEqual(second.map((a) => a.request_id), ['r-alias-2']);
    });

    test('an unknown id is a clear error with a next step', async () => {
      const result = await runCli(target, ['price', '--request', 'nope']);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /no ledger record for request "nope"/);
      assert.match(result.stderr, /next:/);
    });

    test('the text form shows each category with its price and line', async () => {
      const result = await runCli(target, ['price', '--request', 'r-reason']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /output\s+1000000 {2}x 0\.40 per 1M = 0\.48 \(card truth-v1 line \d+, 2026-01-01T00:00:00.000Z \.\. open\)/);
      assert.match(result.stdout, /cost 0\.48 \(exact, unrounded\)/);
    });
  });
}
