import fs from 'node:fs';
import path from 'node:path';
import { Decimal } from '../../src/money.ts';

// A small but realistic month as real input files, for the operations tests: three teams on one
// gateway (support on gpt-4.1-mini, sales and a retrying internal agent on gpt-4.1), an OpenAI
// invoice billed per day, model and token category and rounded to the cent per line as OpenAI
// bills, and a $5.00 credit. The invoice also bills sales' traffic of 2026-05-12, which the first
// ledger export lacks: `lateLedger` is that day arriving late.

const PRICES: Record<string, { input: string; output: string }> = {
  'gpt-4.1-mini-2025-04-14': { input: '0.40', output: '1.60' },
  'gpt-4.1-2025-04-14': { input: '2.00', output: '8.00' },
};

interface Workload {
  team: string;
  service: string;
  key: string;
  model: string;
  perDay: number;
  input: number;
  output: number;
  retry: boolean;
}

const WORKLOADS: Workload[] = [
  { team: 'support', service: 'ticket-triage', key: 'key-support', model: 'gpt-4.1-mini-2025-04-14', perDay: 30, input: 12_370, output: 3_110, retry: false },
  { team: 'sales', service: 'proposal-writer', key: 'key-sales', model: 'gpt-4.1-2025-04-14', perDay: 4, input: 250_130, output: 50_070, retry: false },
  { team: 'agent', service: 'internal-agent', key: 'key-agent', model: 'gpt-4.1-2025-04-14', perDay: 10, input: 35_110, output: 10_030, retry: true },
];

const DAYS = Array.from({ length: 10 }, (_, i) => `2026-05-${String(i + 3).padStart(2, '0')}`); // 2026-05-03 .. 2026-05-12
const LATE_DAY = '2026-05-12';
const LEDGER_HEADER = 'request_id,timestamp,provider,response_model,input_tokens,output_tokens,original_request_id,attempt,team,service,environment,workflow,gateway_key_id';

function ledgerLines(w: Workload, day: string): string[] {
  const lines: string[] = [];
  for (let i = 0; i < w.perDay; i++) {
    const id = `${w.team}-${day}-${i}`;
    const ts = `${day}T${String(1 + (i % 22)).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}:00Z`;
    lines.push([id, ts, 'openai', w.model, w.input, w.output, w.retry ? `orig-${id}` : '', w.retry ? 2 : 1, w.team, w.service, 'production', w.service, w.key].join(','));
  }
  return lines;
}

export interface MonthFiles {
  card: string;
  ledger: string;
  invoice: string;
  lateLedger: string;
  /** the invoice total: every usage line plus the credit */
  invoiceTotal: string;
}

export function writeMonthFiles(dir: string): MonthFiles {
  fs.mkdirSync(dir, { recursive: true });
  const card = path.join(dir, 'card.csv');
  fs.writeFileSync(
    card,
    ['provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source']
      .concat(Object.entries(PRICES).flatMap(([model, p]) => [`openai,${model},standard,input,${p.input},2026-01-01T00:00:00Z,,ops-card,test`, `openai,${model},standard,output,${p.output},2026-01-01T00:00:00Z,,ops-card,test`]))
      .join('\n') + '\n',
  );
  const ledger = [LEDGER_HEADER];
  const late = [LEDGER_HEADER];
  const invoice = ['provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type'];
  let total = new Decimal(0);
  for (const day of DAYS) {
    const billed = new Map<string, { input: Decimal; output: Decimal }>();
    for (const w of WORKLOADS) {
      const lines = ledgerLines(w, day);
      if (day === LATE_DAY && w.team === 'sales') late.push(...lines);
      else ledger.push(...lines);
      const b = billed.get(w.model) ?? { input: new Decimal(0), output: new Decimal(0) };
      billed.set(w.model, { input: b.input.plus(w.perDay * w.input), output: b.output.plus(w.perDay * w.output) });
    }
    for (const [model, b] of billed) {
      const price = PRICES[model]!;
      for (const [category, quantity, unit] of [['input', b.input, price.input], ['output', b.output, price.output]] as const) {
        const amount = quantity.times(unit).dividedBy(1e6).toDecimalPlaces(2);
        total = total.plus(amount);
        invoice.push(`openai,OPENAI-2026-05,${day},${model},${category},standard,${quantity.toFixed(0)},${amount.toFixed(2)},USD,usage`);
      }
    }
  }
  invoice.push('openai,OPENAI-2026-05,2026-05-31,,,standard,,-5.00,USD,credit');
  total = total.minus(5);
  const files = { card, ledger: path.join(dir, 'ledger.csv'), invoice: path.join(dir, 'invoice.csv'), lateLedger: path.join(dir, 'ledger-late-2026-05-12.csv') };
  fs.writeFileSync(files.ledger, ledger.join('\n') + '\n');
  fs.writeFileSync(files.lateLedger, late.join('\n') + '\n');
  fs.writeFileSync(files.invoice, invoice.join('\n') + '\n');
  return { ...files, invoiceTotal: total.toFixed(2) };
}
