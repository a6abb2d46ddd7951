import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/command-context.ts';
import { loadSkuMapping, mapSku, parseSkuMapping } from '../../../src/ingest/invoice-formats/sku-mapping.ts';
import { readOpenAiLineItem } from '../../../src/ingest/invoice-formats/openai-line-items.ts';
import { fixture } from './support.ts';

const builtin = (sku: string) => ({ name: 'openai-line-item', meaning: readOpenAiLineItem(sku) });

describe('SKU mapping', () => {
  it('reads a CSV mapping file; exact patterns match case-insensitively, provider * matches any provider', () => {
    const mapping = parseSkuMapping([
      'provider,pattern,model,token_category,service_tier,region',
      'openai,"my-ft-model, input",gpt-4o-mini-2024-07-18,input,,',
      '*,/^custom-(\\w+)-out$/i,$1,output,priority,eu',
    ].join('\n'), '/tmp/map.csv');
    const exact = mapSku(mapping, 'openai', 'My-FT-Model, Input', builtin('My-FT-Model, Input'));
    assert.deepEqual([exact.model, exact.token_category, exact.service_tier, exact.rule], ['gpt-4o-mini-2024-07-18', 'input', 'standard', 'user:map.csv:1']);
    const regex = mapSku(mapping, 'anthropic', 'CUSTOM-claude-out', { name: 'x', meaning: null });
    assert.deepEqual([regex.model, regex.token_category, regex.service_tier, regex.region, regex.rule], ['claude', 'output', 'priority', 'eu', 'user:map.csv:2']);
  });

  it('built-in meaning applies when no user rule matches; an incomplete meaning is unmapped', () => {
    const none = parseSkuMapping('[]', 'm.json');
    assert.equal(mapSku(none, 'openai', 'gpt-4o, output', builtin('gpt-4o, output')).rule, 'builtin:openai-line-item');
    const unmapped = mapSku(none, 'openai', 'gpt-4o, audio output', builtin('gpt-4o, audio output'));
    assert.deepEqual([unmapped.model, unmapped.token_category, unmapped.rule, unmapped.provider_model], ['gpt-4o', null, null, 'gpt-4o']);
  });

  it('a rule for another provider does not apply', () => {
    const mapping = loadSkuMapping(fixture('mapping-override.json'));
    const m = mapSku(mapping, 'anthropic', 'USE1-Llama3.3-70B-input-tokens', { name: 'x', meaning: null });
    assert.equal(m.rule, null);
  });

  it('rejects bad mapping files with a UserError saying what to fix', () => {
    assert.throws(() => parseSkuMapping('[{"pattern":"x","token_category":"prompt"}]', 'm.json'), (e: unknown) => e instanceof UserError && /token_category "prompt"/.test(e.message));
    assert.throws(() => parseSkuMapping('[{"pattern":"x","service_tier":"gold"}]', 'm.json'), /service_tier "gold"/);
    assert.throws(() => parseSkuMapping('[{"pattern":"/([/"}]', 'm.json'), /not a valid regular expression/);
    assert.throws(() => parseSkuMapping('[{"model":"x"}]', 'm.json'), /m.json:1 has no pattern/);
    assert.throws(() => parseSkuMapping('{"rules": 3}', 'm.json'), /JSON array of rules/);
    assert.throws(() => loadSkuMapping('/nonexistent/mapping.csv'), (e: unknown) => e instanceof UserError && /cannot read mapping file/.test(e.message));
  });
});
