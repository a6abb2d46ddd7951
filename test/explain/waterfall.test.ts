import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wrapWords } from '../../src/explain/waterfall.ts';

test('cause details wrap between words and keep every word (recon explain no longer cuts them)', () => {
  const detail = 'cached input billed at $1.25/M on 2026-05-16 where the card says $0.625/M: 4,120,000 tokens on openai gpt-4.1-2025-04-14; and 2 more';
  const lines = wrapWords(detail, 40);
  assert.deepEqual(lines, [
    'cached input billed at $1.25/M on',
    '2026-05-16 where the card says $0.625/M:',
    '4,120,000 tokens on openai',
    'gpt-4.1-2025-04-14; and 2 more',
  ]);
  assert.equal(lines.join(' '), detail);
  assert.ok(lines.every((l) => l.length <= 40));
  assert.deepEqual(wrapWords('', 40), []);
  assert.deepEqual(wrapWords('a-very-long-request-id-without-spaces-at-all', 10), ['a-very-long-request-id-without-spaces-at-all']);
});
