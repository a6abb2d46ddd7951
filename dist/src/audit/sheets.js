import { sql } from 'kysely';
import { Decimal } from "../money.js";
import { parsePeriod } from "../period.js";
import { selectShowback } from "../budget/queries.js";
import { runFileIds } from "../ingest/files-that-count.js";
import { auditPeriod } from "./audit-period.js";
const fraction = (percentText) => new Decimal(percentText).dividedBy(100).toFixed();
async function runPeriod(db, runId) {
    const { rows } = await sql `select period from run where id = ${runId}`.execute(db);
    const period = rows[0]?.period;
    if (!period)
        throw new Error(`run ${runId} does not exist`);
    return period;
}
/** Layout of the Evidence sheet from an audit (pure). */
export function evidenceRows(report) {
    const rows = [];
    for (const g of report.checklist) {
        rows.push({ section: 'Checklist', item: g.label, subject: 'all records', records: g.missing_records, share: fraction(g.missing_pct), at_stake: g.at_stake, evidence: '' });
    }
    for (const f of report.findings) {
        rows.push({ section: 'Finding', item: f.finding, subject: f.subject, records: f.records, share: null, at_stake: f.at_stake, evidence: `${f.explanation} Samples: ${f.sample_request_ids.join(', ')}` });
    }
    for (const r of report.readiness) {
        rows.push({
            section: 'Readiness',
            item: r.verdict,
            subject: r.team,
            records: null,
            share: r.attributable_share,
            at_stake: null,
            evidence: r.reasons.join('; ') || 'all chargeback gates pass',
        });
    }
    for (const c of report.completeness) {
        for (const m of c.missing) {
            rows.push({ section: `Completeness by ${c.dimension.replace('_', ' ')}`, item: m.label, subject: c.value, records: m.missing_records, share: fraction(m.missing_pct), at_stake: m.at_stake, evidence: `of ${c.records} records` });
        }
    }
    return rows;
}
/** The Evidence sheet of the allocation workbook: the evidence audit of the run's period. */
export async function evidenceSheet(db, runId) {
    const period = parsePeriod(await runPeriod(db, runId));
    const report = await auditPeriod(db, { period, runId, ledgerFileIds: await runFileIds(db, runId, 'ledger') });
    return {
        name: 'Evidence',
        notes: [
            `Evidence audit of the ${period} ledger (${report.records} records, priced cost $${report.priced_cost}): which records fail the trace-to-invoice checklist, with the priced cost at stake.`,
            'Findings list sample request ids to look up in the gateway logs. Readiness applies the allocation policy’s chargeback gates.',
            'Read from the ledger files the run recorded among its inputs.',
        ],
        columns: [
            { header: 'Section', key: 'section', format: 'text', width: 26 },
            { header: 'Item', key: 'item', format: 'text', width: 26 },
            { header: 'Subject', key: 'subject', format: 'text', width: 36 },
            { header: 'Records', key: 'records', format: 'integer', width: 10 },
            { header: 'Share', key: 'share', format: 'percent', width: 10 },
            { header: 'At stake (USD)', key: 'at_stake', format: 'usd', width: 14 },
            { header: 'Evidence', key: 'evidence', format: 'text', width: 80 },
        ],
        rows: evidenceRows(report),
        highlight: (row) => row.section === 'Readiness' && row.item === 'not_ready',
    };
}
export function alertText(alerts) {
    return alerts
        .map((a) => a.alert === 'daily_spike'
        ? `spike on ${a.day}: $${a.amount} > 2× $${a.rolling_average}`
        : `${a.alert.replace('_', ' ')}%: $${a.amount} of $${a.budget} (${a.share_pct}%)`)
        .join('; ');
}
/** The Showback sheet: per team prior month, month to date, forecast, budget and alerts. */
export async function showbackSheet(db, runId) {
    const rows = await selectShowback(db, runId);
    return {
        name: 'Showback',
        notes: [
            'Per team: last month’s actual, spend this month to date (priced ledger; the allocated invoice once the month is over), the run-rate forecast and the budget.',
            'Forecast = spend of the complete days + average daily spend of the last 7 complete days × days left (today included); on the 1st, last month’s daily average.',
            'Alerts: actual or forecast at 80% / 100% of budget, and days above twice the average of the 7 days before.',
        ],
        columns: [
            { header: 'Team', key: 'team', format: 'text', width: 18 },
            { header: 'Cost center', key: 'cost_center', format: 'text', width: 12 },
            { header: 'Prior month actual', key: 'prior_month_actual', format: 'usd', width: 16, total: true },
            { header: 'Month to date', key: 'spend_to_date', format: 'usd', width: 14, total: true },
            { header: 'Forecast', key: 'forecast', format: 'usd', width: 14, total: true },
            { header: 'Budget', key: 'budget', format: 'usd', width: 14, total: true },
            { header: 'Budget used', key: 'share_used', format: 'percent', width: 12 },
            { header: 'Forecast of budget', key: 'forecast_share', format: 'percent', width: 12 },
            { header: 'Forecast method', key: 'forecast_method', format: 'text', width: 24 },
            { header: 'Alerts', key: 'alerts', format: 'text', width: 60 },
        ],
        rows: rows.map((r) => ({
            team: r.team,
            cost_center: r.cost_center,
            prior_month_actual: r.prior_month_actual,
            spend_to_date: r.spend_to_date,
            forecast: r.forecast,
            budget: r.budget,
            share_used: r.share_used,
            forecast_share: r.forecast_share,
            forecast_method: r.forecast_method,
            alerts: alertText(r.alerts),
        })),
        highlight: (row) => typeof row.alerts === 'string' && row.alerts !== '',
    };
}
