import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { openStore, type Store } from '../../src/db/connection.ts';
import { createLogger } from '../../src/log.ts';
import { parseSettings } from '../../src/settings.ts';
import { parseTokens } from '../../src/serve/auth.ts';
import { startServer, type RunningServer } from '../../src/serve/server.ts';
import { cliTarget, runCli, runCliJson, type CliTarget } from '../e2e/cli-harness.ts';
import { testBackends } from '../support/db.ts';
import { SCRIPT_SERVICE, writeTraceMonth } from './trace-month.ts';

// `recon trace` and the trace page on the month of test/trace/trace-month.ts, whose every figure is
// worked out by hand there: a request with a retry across a midnight price change, owners by tag,
// by gateway key and untagged, and one input cell billed at 1.1 × its priced cost.

interface Category { category: string; quantity: string; unit_price: string | null; cost: string; card_version: string | null; line_effective_from: string | null; line_effective_to: string | null }
interface Cell { category: string; cost: string; variance: { status: string | null; invoice_amount: string | null; ledger_amount: string | null; variance: string | null; explained: string | null; unexplained: string | null } | null; allocation: { ratio: string | null; share: string | null; exact: boolean } | null }
interface Attempt {
  request_id: string;
  original_request_id: string | null;
  attempt: number;
  status: string;
  cost: string;
  retry: boolean;
  tokens: Record<string, string>;
  categories: Category[];
  owner_resolution: { team: string | null; service: string | null; cost_center: string | null; gateway_key_id: string | null; resolved_by: string; key_map: { team: string; service: string | null } | null };
  charged_to: { team: string | null; rule: string };
  cells: Cell[];
  allocated_share: string | null;
}
interface Trace { request_id: string; period: string; run: { id: string } | null; attempts: Attempt[]; cost: string; allocated_share: string | null; allocation_exact: boolean }
interface TeamDay { team: string; day: string; total_requests: number; total_cost: string; requests: { rank: number; request_id: string; cost: string; attempts: number; service: string | null; gateway_key_id: string | null; canonical_model: string; region: string | null; tokens: Record<string, string>; card_versions: string[]; pricing_effective_from: string[] }[] }

const READ = 'trace-read-token-0123456789';

for (const backend of testBackends()) {
  describe(`request trace, CLI and page [${backend}]`, () => {
    let target: CliTarget;
    let store: Store | undefined;
    let server: RunningServer | undefined;
    const traces: Record<string, Trace> = {};
    let supportDay: TeamDay;
    let supportTop2: TeamDay;
    let growthDay: TeamDay;
    let traceText: string;
    let unknown: { code: number; stderr: string };
    let runSummary: { allocations: { team: string; amount: string }[] };

    before(async () => {
      target = await cliTarget(backend);
      const files = writeTraceMonth(target.dir);
      await runCliJson(target, ['ratecard', 'import', files.card]);
      await runCliJson(target, ['ingest', 'ledger', files.ledger]);
      await runCliJson(target, ['ingest', 'invoice', files.invoice]);
      await runCliJson(target, ['owners', 'import', files.owners]);
      runSummary = await runCliJson<{ allocations: { team: string; amount: string }[] }>(target, ['run', '--period', '2026-05']);
      for (const id of ['req-a', 'req-b', 'req-c']) traces[id] = await runCliJson<Trace>(target, ['trace', id]);
      supportDay = await runCliJson<TeamDay>(target, ['trace', '--team', 'support', '--day', '2026-05-15']);
      supportTop2 = await runCliJson<TeamDay>(target, ['trace', '--team', 'support', '--day', '2026-05-15', '--top', '2']);
      growthDay = await runCliJson<TeamDay>(target, ['trace', '--team', 'growth', '--day', '2026-05-15']);
      traceText = (await runCli(target, ['trace', 'req-a'])).stdout;
      unknown = await runCli(target, ['trace', 'nope']);
      // the page reads the same store once the CLI is done with it
      store = await openStore({ databaseUrl: target.env.DATABASE_URL, dataDir: target.env.RECON_DATA_DIR! });
      fs.mkdirSync(path.join(target.dir, 'out'), { recursive: true });
      const log = createLogger({ logFormat: 'json', logLevel: 'error' });
      server = await startServer({ store, outDir: path.join(target.dir, 'out'), settings: parseSettings({}), policy: defaultPolicy, tokens: parseTokens([], READ), log }, 0, '127.0.0.1');
    });
    after(async () => {
      await server?.close();
      await store?.close();
      await target?.cleanup();
    });

    test('the run charges the owners the trace names: growth by key 2.20, the bucket 1.50, support 0.30 + 0.27 + 0.70 + 0.11', () => {
      assert.deepEqual(runSummary.allocations, [
        { team: 'growth', amount: '2.20' },
        { team: 'platform', amount: '1.50' },
        { team: 'support', amount: '1.38' },
      ]);
    });

    const cat = (a: Attempt, c: string) => a.categories.find((x) => x.category === c)!;
    const cell = (a: Attempt, c: string) => a.cells.find((x) => x.category === c)!;

    test('both attempts of the retried request, priced on each side of the midnight price change', () => {
      const t = traces['req-a']!;
      assert.equal(t.period, '2026-05');
      assert.deepEqual(t.attempts.map((a) => [a.request_id, a.attempt, a.original_request_id, a.status, a.retry, a.cost]), [
        ['req-a', 1, null, 'error', true, '0.28'],
        ['req-a-2', 2, 'req-a', 'ok', true, '0.27'],
      ]);
      const [first, second] = t.attempts as [Attempt, Attempt];
      assert.deepEqual([first.tokens.input, first.tokens.output, second.tokens.input, second.tokens.output], ['100000', '10000', '100000', '20000']);
      // 100,000 × 2.00/1M = 0.20, 10,000 × 8.00/1M = 0.08 on the line of [05-01, 05-16)
      assert.deepEqual([cat(first, 'input').unit_price, cat(first, 'input').cost, cat(first, 'output').unit_price, cat(first, 'output').cost], ['2.00', '0.2', '8.00', '0.08']);
      assert.equal(cat(first, 'input').card_version, 'may-card');
      assert.equal(cat(first, 'input').line_effective_from, '2026-05-01T00:00:00.000Z');
      assert.equal(cat(first, 'input').line_effective_to, '2026-05-16T00:00:00.000Z');
      // 100,000 × 1.50/1M = 0.15, 20,000 × 6.00/1M = 0.12 on the line from 05-16, open
      assert.deepEqual([cat(second, 'input').unit_price, cat(second, 'input').cost, cat(second, 'output').cost], ['1.50', '0.15', '0.12']);
      assert.equal(cat(second, 'input').line_effective_from, '2026-05-16T00:00:00.000Z');
      assert.equal(cat(second, 'input').line_effective_to, null);
      assert.equal(t.cost, '0.55');
    });

    test('owner by tag; the retry is charged to the team that made it (policy retries: owner)', () => {
      const [first] = traces['req-a']!.attempts as [Attempt];
      assert.equal(first.owner_resolution.team, 'support');
      assert.equal(first.owner_resolution.resolved_by, 'tag');
      assert.equal(first.owner_resolution.cost_center, 'cc-100');
      assert.equal(first.owner_resolution.gateway_key_id, 'k-support');
      assert.equal(first.charged_to.team, 'support');
      assert.match(first.charged_to.rule, /policy retries: owner/);
    });

    test("allocation share: the 15th's input billed at 1.1 × priced, the other cells at priced", () => {
      const t = traces['req-a']!;
      const [first, second] = t.attempts as [Attempt, Attempt];
      // 4.29 invoiced over 3.90 priced: 0.20 × 1.1 = 0.22; output 0.08 × 0.52/0.52
      const input = cell(first, 'input').allocation!;
      assert.deepEqual([input.ratio, input.share, input.exact], ['1.1', '0.22', true]);
      assert.equal(cell(first, 'output').allocation?.share, '0.08');
      assert.equal(first.allocated_share, '0.3');
      assert.equal(second.allocated_share, '0.27');
      assert.equal(t.allocated_share, '0.57');
      assert.equal(t.allocation_exact, true);
    });

    test("the cell's variance: 4.29 − 3.90 = 0.39, explained plus unexplained adding up to it", () => {
      const [first] = traces['req-a']!.attempts as [Attempt];
      const v = cell(first, 'input').variance!;
      assert.deepEqual([v.invoice_amount, v.ledger_amount, v.variance], ['4.29', '3.9', '0.39']);
      assert.ok(v.status === 'ok' || v.status === 'review' || v.status === 'breach');
      assert.equal((Number(v.explained) * 100 + Number(v.unexplained) * 100).toFixed(0), '39');
      const out = cell(first, 'output').variance!;
      assert.deepEqual([out.invoice_amount, out.ledger_amount, out.variance], ['0.52', '0.52', '0']);
    });

    test('owner by gateway key: req-b has no tag, key k-growth maps to growth; share 2.00 × 1.1 = 2.20', () => {
      const [a] = traces['req-b']!.attempts as [Attempt];
      assert.equal(a.owner_resolution.team, 'growth');
      assert.equal(a.owner_resolution.resolved_by, 'gateway_key');
      assert.equal(a.owner_resolution.cost_center, 'cc-200');
      assert.deepEqual(a.owner_resolution.key_map, { team: 'growth', service: 'scoring', environment: 'production' });
      assert.equal(a.charged_to.team, 'growth');
      assert.equal(a.cost, '2');
      assert.equal(traces['req-b']!.allocated_share, '2.2');
    });

    test('untagged: req-c has no tag and an unmapped key: the platform bucket, share 1.00 × 1.1 + 0.40 = 1.50', () => {
      const [a] = traces['req-c']!.attempts as [Attempt];
      assert.equal(a.owner_resolution.team, null);
      assert.equal(a.owner_resolution.resolved_by, 'untagged');
      assert.equal(a.charged_to.team, 'platform');
      assert.match(a.charged_to.rule, /policy untagged: bucket/);
      assert.equal(a.cost, '1.4');
      assert.equal(traces['req-c']!.allocated_share, '1.5');
    });

    test("support's most expensive requests on Friday the 15th: req-d 0.64, req-a 0.28, req-e 0.10", () => {
      assert.deepEqual(supportDay.requests.map((r) => [r.rank, r.request_id, r.cost]), [
        [1, 'req-d', '0.64'],
        [2, 'req-a', '0.28'],
        [3, 'req-e', '0.1'],
      ]);
      assert.equal(supportDay.total_requests, 3);
      assert.equal(supportDay.total_cost, '1.02');
      const top = supportDay.requests[0]!;
      assert.deepEqual([top.service, top.gateway_key_id, top.canonical_model, top.tokens.input, top.tokens.output, top.card_versions, top.pricing_effective_from], [
        'triage', 'k-support', 'gpt-4.1-2025-04-14', '300000', '5000', ['may-card'], ['2026-05-01T00:00:00.000Z'],
      ]);
      assert.deepEqual(supportTop2.requests.map((r) => r.request_id), ['req-d', 'req-a']);
      // growth owns req-b through the key map only
      assert.deepEqual(growthDay.requests.map((r) => [r.request_id, r.cost]), [['req-b', '2']]);
    });

    test('the text form and an unknown id', () => {
      assert.match(traceText, /request req-a: 2 attempt\(s\), cost 0\.55 \(exact, unrounded\)/);
      assert.match(traceText, /resolved by tag/);
      assert.match(traceText, /allocated share 0\.57/);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /no ledger record for request "nope"/);
    });

    const get = (p: string, token: string | null = READ) => fetch(server!.url + p, { headers: token ? { Authorization: `Bearer ${token}` } : {}, redirect: 'manual' });

    test('the page: login or 401 without a valid token, the trace with its numbers, a tag shown as text', async () => {
      // as every page: a browser without a session goes to the login form, a wrong token gets 401
      const denied = await get('/app/trace?request=req-a', null);
      assert.equal(denied.status, 303);
      assert.equal(denied.headers.get('location'), `/login?next=${encodeURIComponent('/app/trace?request=req-a')}`);
      const bad = await get('/app/trace?request=req-a', 'wrong-token-0123456789');
      assert.equal(bad.status, 401);
      const res = await get('/app/trace?request=req-a');
      assert.equal(res.status, 200);
      const page = await res.text();
      assert.match(page, /data-figure="cost">0\.55</);
      assert.match(page, /data-figure="allocated_share">0\.57</);
      assert.match(page, /data-range="input">2026-05-01 \.\. 2026-05-16</);
      assert.match(page, /data-range="input">2026-05-16 \.\. open</);
      assert.match(page, /data-share="input"><span class="mono">0\.22</);
      assert.match(page, /data-owner="resolved_by"><span class="tag">tag</);
      assert.equal((await get('/app/trace?request=nope')).status, 404);
      const runId = traces['req-a']!.run!.id;
      assert.match(await (await get(`/app/trace?request=req-a&run=${runId}`)).text(), /data-figure="allocated_share">0\.57</);
      assert.equal((await get('/app/trace?request=req-a&run=999999')).status, 404);
      assert.equal((await get('/app/trace?request=req-a&period=2026-13')).status, 400);
      const viaKey = await (await get('/trace?request=req-b')).text();
      assert.match(viaKey, /data-owner="resolved_by"><span class="tag">gateway_key</);
    });

    test("the page: a team's top requests of a day, in order, with the <script> service escaped", async () => {
      const res = await get('/app/trace?team=support&day=2026-05-15&top=3');
      assert.equal(res.status, 200);
      const page = await res.text();
      const order = [...page.matchAll(/data-rank="\d+"><td class="n">\d+<\/td><td><a class="mono" href="[^"]+">([^<]+)</g)].map((m) => m[1]);
      assert.deepEqual(order, ['req-d', 'req-a', 'req-e']);
      assert.ok(!page.includes(SCRIPT_SERVICE), 'the tag is not markup');
      assert.ok(page.includes('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;'));
      assert.equal((await get('/app/trace?team=support&day=2026-02-30')).status, 400);
      const form = await (await get('/app/trace')).text();
      assert.match(form, /data-form="trace-request"/);
      assert.match(form, /data-form="trace-team-day"/);
    });
  });
}


