import { parquetWriteBuffer } from 'hyparquet-writer';
import { Decimal } from "../money.js";
import { FOCUS_COLUMNS } from "./focus.js";
/**
 * The FOCUS rows as Parquet (hyparquet-writer, pure JS): costs as DECIMAL(18,2) and other
 * FOCUS Decimal columns as DECIMAL(38,12), both written from exact unscaled bigints (never
 * through a float); Date/Time columns as UTC timestamps; JSON columns as JSON; the rest UTF-8.
 */
const MONEY = new Set(['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost', 'x_OriginBilledCost']);
const DECIMAL = new Set(['ConsumedQuantity', 'ContractedUnitPrice', 'ListUnitPrice', 'PricingQuantity']);
const DATETIME = new Set(['BillingPeriodEnd', 'BillingPeriodStart', 'ChargePeriodEnd', 'ChargePeriodStart']);
const JSON_COLUMNS = new Set(['AllocatedMethodDetails', 'AllocatedTags', 'ContractApplied', 'Tags']);
export const PARQUET_DECIMAL_SCALE = 12;
const unscaled = (text, scale) => (text === null ? null : BigInt(new Decimal(text).times(new Decimal(10).pow(scale)).toFixed(0)));
export function focusParquet(rows) {
    const columnData = FOCUS_COLUMNS.map((name) => {
        const values = rows.map((r) => r[name] ?? null);
        if (MONEY.has(name))
            return { name, data: values.map((v) => unscaled(v, 2)), type: 'INT64', converted_type: 'DECIMAL', scale: 2, precision: 18, nullable: true };
        if (DECIMAL.has(name))
            return { name, data: values.map((v) => unscaled(v, PARQUET_DECIMAL_SCALE)), type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, converted_type: 'DECIMAL', scale: PARQUET_DECIMAL_SCALE, precision: 38, nullable: true };
        if (DATETIME.has(name))
            return { name, data: values.map((v) => (v === null ? null : new Date(v))), type: 'TIMESTAMP', nullable: true };
        if (JSON_COLUMNS.has(name))
            return { name, data: values, type: 'JSON', nullable: true };
        return { name, data: values, type: 'STRING', nullable: true };
    });
    return parquetWriteBuffer({
        columnData: columnData.map(({ name, data }) => ({ name, data })),
        schema: [
            { name: 'root', num_children: columnData.length },
            ...columnData.map((c) => c.converted_type === 'DECIMAL'
                ? { name: c.name, type: c.type, type_length: c.type_length, converted_type: 'DECIMAL', scale: c.scale, precision: c.precision, repetition_type: 'OPTIONAL' }
                : c.type === 'TIMESTAMP'
                    ? { name: c.name, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'OPTIONAL' }
                    : c.type === 'JSON'
                        ? { name: c.name, type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' }
                        : { name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }),
        ],
    });
}
