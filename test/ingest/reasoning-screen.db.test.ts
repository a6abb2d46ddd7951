import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliTarget, runCliJson, type CliTarget } from '../e2e/cli-harness.ts';
import { testBackends } from '../support/db.ts';

// Ledger token semantics that cannot go negative (#14.5): output_tokens counts all output,
// reasoning included (OpenAI's completion_tokens with completion_tokens_details.reasoning_tokens).
// A row with more reasoning than output would price a negative visible part: it is quarantined
// with its line, field and reason, and the good rows load.
const LEDGER = [
  'request_id,timestamp,provider,response_model,input_tokens,output_tokens,reasoning_output_tokens,service_tier,status,team',
  'ok-1,2026-05-03T10:00:00Z,openai,o3-2025-04-16,100,1000,400,standard,ok,research',
  'bad-1,2026-05-03T10:00:01Z,openai,o3-2025-04-16,100,300,400,standard,ok,research',
  'ok-2,2026-05-03T10:00:02Z,openai,o3-2025-04-16,100,400,400,standard,ok,research',
].join('\n');

for (const backend of testBackends({ engines: 'both' })) {
  describe(`reasoning above output is quarantined [${backend}]`, () => {
    let target: CliTarget;
    before(async () => {
      target = await cliTarget(backend);
      fs.writeFileSync(path.join(target.dir, 'ledger.csv'), LEDGER);
    });
    after(async () => target.cleanup());

    test('the bad row is a reject with line, field and reason; the others load', async () => {
      const result = await runCliJson<Record<string, unknown>>(target, ['ingest', 'ledger', path.join(target.dir, 'ledger.csv')]);
      const text = JSON.stringify(result);
      assert.match(text, /"rows_stored":"?2"?/);
      const { rejects } = await runCliJson<{ rejects: { line: number | string; field: string; reason: string; value: string }[] }>(target, ['rejects']);
      assert.deepEqual(rejects.map((r) => [Number(r.line), r.field, r.value]), [[3, 'reasoning_output_tokens', '400']]);
      assert.match(rejects[0]!.reason, /above output_tokens/);
    });
  });
}
