import fs from 'node:fs';
import path from 'node:path';

// A small May 2026 with a known answer for every figure the request trace shows, written as the
// gateway logs and the provider bills (canonical CSVs, imported through the real CLI).
//
// Card (one version, `may-card`), openai gpt-4.1-2025-04-14 standard, USD per 1M tokens; the
// price changes at midnight UTC on Saturday 2026-05-16:
//   [2026-05-01, 2026-05-16)  input 2.00  output 8.00
//   [2026-05-16, open)        input 1.50  output 6.00
//
// Ledger (Friday 2026-05-15 and the night after):
//   req-a    support (tag)        15th 23:59  100,000 in / 10,000 out, status error, attempt 1
//            100,000 × 2.00/1M + 10,000 × 8.00/1M = 0.20 + 0.08 = 0.28
//   req-a-2  support (tag)        16th 00:01  retry of req-a, attempt 2, ok, 100,000 / 20,000
//            after the change: 100,000 × 1.50/1M + 20,000 × 6.00/1M = 0.15 + 0.12 = 0.27
//   req-b    no tag, key k-growth → growth (key map)   15th  1,000,000 / 0 = 2.00
//   req-c    no tag, key k-nobody (not in the map)      15th  500,000 / 50,000 = 1.00 + 0.40 = 1.40
//   req-d    support (tag)        15th  300,000 / 5,000 = 0.60 + 0.04 = 0.64
//   req-e    support (tag), service `<script>…`          15th  50,000 / 0 = 0.10
//
// Invoice: the 15th's input cell is billed 4.29 for the 1,950,000 tokens priced 3.90 (× 1.1); the
// other cells are billed what the card says. So each 15th input dollar is charged 1.10:
//   req-a  attempt 1: 0.20 × 1.1 + 0.08 = 0.30; attempt 2: 0.15 + 0.12 = 0.27; request 0.57
//   req-b  2.00 × 1.1 = 2.20 to growth;  req-c  1.00 × 1.1 + 0.40 = 1.50 to the platform bucket
// Support's top requests on the 15th: req-d 0.64, req-a 0.28, req-e 0.10.

export const SCRIPT_SERVICE = '<script>alert("x")</script>';

export function writeTraceMonth(dir: string) {
  const file = (name: string, lines: string[]) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, lines.join('\n') + '\n');
    return p;
  };
  const M = 'gpt-4.1-2025-04-14';
  const card = file('card.csv', [
    'provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source',
    `openai,${M},standard,input,2.00,2026-05-01T00:00:00Z,2026-05-16T00:00:00Z,may-card,hand`,
    `openai,${M},standard,output,8.00,2026-05-01T00:00:00Z,2026-05-16T00:00:00Z,may-card,hand`,
    `openai,${M},standard,input,1.50,2026-05-16T00:00:00Z,,may-card,hand`,
    `openai,${M},standard,output,6.00,2026-05-16T00:00:00Z,,may-card,hand`,
  ]);
  const ledger = file('ledger.csv', [
    'request_id,timestamp,provider,response_model,requested_model,input_tokens,output_tokens,service_tier,status,team,service,gateway_key_id,original_request_id,attempt',
    `req-a,2026-05-15T23:59:00Z,openai,${M},gpt-4.1,100000,10000,standard,error,support,triage,k-support,,1`,
    `req-a-2,2026-05-16T00:01:00Z,openai,${M},gpt-4.1,100000,20000,standard,ok,support,triage,k-support,req-a,2`,
    `req-b,2026-05-15T10:00:00Z,openai,${M},gpt-4.1,1000000,0,standard,ok,,,k-growth,,1`,
    `req-c,2026-05-15T11:00:00Z,openai,${M},gpt-4.1,500000,50000,standard,ok,,,k-nobody,,1`,
    `req-d,2026-05-15T12:00:00Z,openai,${M},gpt-4.1,300000,5000,standard,ok,support,triage,k-support,,1`,
    `req-e,2026-05-15T13:00:00Z,openai,${M},gpt-4.1,50000,0,standard,ok,support,"${SCRIPT_SERVICE.replace(/"/g, '""')}",k-support,,1`,
  ]);
  const invoice = file('invoice.csv', [
    'provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type',
    `openai,INV-2026-05,2026-05-15,${M},input,standard,1950000,4.29,USD,usage`,
    `openai,INV-2026-05,2026-05-15,${M},output,standard,65000,0.52,USD,usage`,
    `openai,INV-2026-05,2026-05-16,${M},input,standard,100000,0.15,USD,usage`,
    `openai,INV-2026-05,2026-05-16,${M},output,standard,20000,0.12,USD,usage`,
  ]);
  const owners = file('owners.csv', [
    'team,cost_center,owner,monthly_budget',
    'support,cc-100,ana,',
    'growth,cc-200,bo,',
    'platform,cc-900,cy,',
    '',
    'gateway_key_id,team,service,environment',
    'k-support,support,triage,production',
    'k-growth,growth,scoring,production',
  ]);
  return { card, ledger, invoice, owners };
}
