import fs from 'node:fs';
import path from 'node:path';
import { Decimal } from '../../src/money.ts';

// The seed's three-team month as real input files: a rate card, a gateway ledger and an invoice
// whose lines are exactly what the priced ledger says, day by day. `scale` divides the calls.

const DAYS = 20;

// gpt-4.1-mini $0.40 / $1.60 per 1M: 1,000 in + 250 out = $0.0008.
// gpt-4.1 $2 / $8 per 1M: 25,000 in + 5,000 out = $0.09; 3,500 in + 1,000 out = $0.015.
const WORKLOADS = [
  { team: 'support', service: 'ticket-triage', key: 'key-support', model: 'gpt-4.1-mini-2025-04-14', calls: 2_000_000, input: 1000, output: 250, retry: false },
  { team: 'sales', service: 'proposal-writer', key: 'key-sales', model: 'gpt-4.1-2025-04-14', calls: 80_000, input: 25_000, output: 5_000, retry: false },
  { team: 'agent', service: 'internal-agent', key: 'key-agent', model: 'gpt-4.1-2025-04-14', calls: 300_000, input: 3_500, output: 1_000, retry: true },
];

const PRICES: Record<string, { input: string; output: string }> = {
  'gpt-4.1-mini-2025-04-14': { input: '0.40', output: '1.60' },
  'gpt-4.1-2025-04-14': { input: '2.00', output: '8.00' },
};

export function writeSeedMonth(dir: string, scale: number) {
  const card = path.join(dir, 'card.csv');
  fs.writeFileSync(
    card,
    ['provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source']
      .concat(Object.entries(PRICES).flatMap(([model, p]) => [`openai,${model},standard,input,${p.input},2026-01-01T00:00:00Z,,seed-card,seed`, `openai,${model},standard,output,${p.output},2026-01-01T00:00:00Z,,seed-card,seed`]))
      .join('\n') + '\n',
  );
  const ledger = path.join(dir, 'ledger.csv');
  const fd = fs.openSync(ledger, 'w');
  fs.writeSync(fd, 'request_id,timestamp,provider,response_model,input_tokens,output_tokens,original_request_id,attempt,team,service,environment,workflow,gateway_key_id\n');
  const invoice = ['provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type'];
  let n = 0;
  for (const w of WORKLOADS) {
    const perDay = w.calls / scale / DAYS;
    const price = PRICES[w.model]!;
    for (let day = 0; day < DAYS; day++) {
      const date = `2026-05-${String(day + 2).padStart(2, '0')}`;
      let chunk = '';
      for (let i = 0; i < perDay; i++) {
        n++;
        const second = i % 86_400;
        const ts = `${date}T${String(Math.floor(second / 3600)).padStart(2, '0')}:${String(Math.floor((second % 3600) / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}Z`;
        const original = w.retry ? `orig-${n}` : '';
        chunk += `r${n},${ts},openai,${w.model},${w.input},${w.output},${original},${w.retry ? 2 : 1},${w.team},${w.service},production,${w.service},${w.key}\n`;
        if (chunk.length > 1 << 20) {
          fs.writeSync(fd, chunk);
          chunk = '';
        }
      }
      fs.writeSync(fd, chunk);
      const inputTokens = new Decimal(perDay).times(w.input);
      const outputTokens = new Decimal(perDay).times(w.output);
      invoice.push(`openai,OPENAI-2026-05,${date},${w.model},input,standard,${inputTokens.toFixed(0)},${inputTokens.times(price.input).dividedBy(1e6).toFixed(2)},USD,usage`);
      invoice.push(`openai,OPENAI-2026-05,${date},${w.model},output,standard,${outputTokens.toFixed(0)},${outputTokens.times(price.output).dividedBy(1e6).toFixed(2)},USD,usage`);
    }
  }
  fs.closeSync(fd);
  const invoiceFile = path.join(dir, 'invoice.csv');
  fs.writeFileSync(invoiceFile, invoice.join('\n') + '\n');
  return { card, ledger, invoice: invoiceFile };
}

