import fs from 'node:fs';
import path from 'node:path';

/**
 * A month (2026-05, 31 days, 744 hours) with one Azure PTU deployment shared by two teams.
 * - Commitment AZ-PTU-1: 1 PTU of deployment `gpt4o-ptu` in eastus at 2.00/h, capacity 100,000
 *   tokens per hour, billed as 31 daily fee lines of 48.00 (SKU PTU-gpt4o-ptu-eastus): 1488.00.
 * - Every day from 09:00 to 16:59 UTC (8 working hours) `search` runs 60,000 tokens and
 *   `support` 20,000 tokens per hour on it; nothing at night. Utilisation 0.8 in working hours,
 *   0 at night.
 * - Noise that must not consume it: `search` on the same deployment name in westus at 03:00 on
 *   the 5th, `support` on another deployment (gpt4o-payg) at 02:00 on the 6th.
 * - A support-plan fee line (SUPPORT-PLAN, 10.00) no commitment bills under.
 * The invoice total: 31 × 48.00 + 10.00 = 1498.00.
 */
export const PTU_INVOICE_TOTAL = '1498.00';

export function writePtuMonth(dir: string): { ledger: string; invoice: string; commitments: string; card: string; aliases: string; policy: (idle: 'share' | 'bucket' | 'separate') => string } {
  const ledger = ['request_id,timestamp,provider,response_model,input_tokens,output_tokens,team,service,region'];
  let n = 0;
  for (let day = 1; day <= 31; day += 1) {
    const d = String(day).padStart(2, '0');
    for (let hour = 9; hour <= 16; hour += 1) {
      const h = String(hour).padStart(2, '0');
      ledger.push(`ptu-${(n += 1)},2026-05-${d}T${h}:10:00Z,azure.ai.openai,gpt4o-ptu,50000,10000,search,ranker,eastus`);
      ledger.push(`ptu-${(n += 1)},2026-05-${d}T${h}:40:00Z,azure.ai.openai,gpt4o-ptu,15000,5000,support,triage,eastus`);
    }
  }
  ledger.push('ptu-west,2026-05-05T03:00:00Z,azure.ai.openai,gpt4o-ptu,30000,10000,search,ranker,westus');
  ledger.push('payg-1,2026-05-06T02:00:00Z,azure.ai.openai,gpt4o-payg,1000,100,support,triage,eastus');
  const invoice = ['provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type,sku,region'];
  for (let day = 1; day <= 31; day += 1) {
    invoice.push(`azure,AZ-2026-05,2026-05-${String(day).padStart(2, '0')},,,standard,24,48.00,USD,fee,PTU-gpt4o-ptu-eastus,eastus`);
  }
  invoice.push('azure,AZ-2026-05,2026-05-31,,,standard,,10.00,USD,fee,SUPPORT-PLAN,');
  const commitments = `# Azure OpenAI provisioned throughput, one PTU reserved for the month
commitments:
  - id: AZ-PTU-1
    provider: azure
    kind: ptu
    deployment: gpt4o-ptu
    model: gpt-4o-2024-08-06
    region: eastus
    quantity: 1
    unit: PTU
    price_per_hour: "2.00"
    capacity_tokens_per_hour: 100000
    effective_from: 2026-05-01
    effective_to: 2026-06-01
    bills_under: [PTU-gpt4o-ptu-eastus]
`;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  return {
    ledger: write('ptu-ledger.csv', ledger.join('\n') + '\n'),
    invoice: write('ptu-invoice.csv', invoice.join('\n') + '\n'),
    commitments: write('commitments.yaml', commitments),
    // optional: price the deployment's records at the pay-as-you-go card (2.50 / 10.00 per 1M)
    card: write('ptu-card.csv', 'provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source\nazure.ai.openai,gpt-4o-2024-08-06,standard,input,2.50,2026-01-01T00:00:00Z,,ptu-card,test\nazure.ai.openai,gpt-4o-2024-08-06,standard,output,10,2026-01-01T00:00:00Z,,ptu-card,test\n'),
    aliases: write('ptu-aliases.csv', 'provider,alias,model,effective_from,effective_to\nazure.ai.openai,gpt4o-ptu,gpt-4o-2024-08-06,,\n'),
    policy: (idle) => write(`policy-${idle}.yaml`, `version: ptu-${idle}\ntax_and_fees: central\ncommitments:\n  idle: ${idle}\n`),
  };
}
