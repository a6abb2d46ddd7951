// What a sheet holds, apart from how it is written: domains describe sheets with these
// (pure data), and the workbook writer turns them into XLSX.
export {};
// Formats, as the writer reads values: 'usd' / 'usd_precise' / 'decimal' / 'integer' take decimal
// strings; 'percent' takes a fraction as a decimal string ('0.025' shows as 2.50%); 'date' takes
// 'YYYY-MM-DD'; 'datetime' a Date or ISO string; 'text' anything, always written as text (never a formula).
