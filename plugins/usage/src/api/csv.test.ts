import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvCell, csvLine } from './csv';

describe('csv', () => {
  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell(42), '42');
    assert.equal(csvCell(false), 'false');
  });

  it('neutralizes cells a spreadsheet would run as formulas', () => {
    for (const s of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx']) assert.equal(csvCell(s), `"'${s}"`);
    assert.equal(csvCell(-5), '-5', 'numbers are data, not formulas');
  });

  it('ends lines with CRLF', () => {
    assert.equal(csvLine(['a', 1, null]), 'a,1,\r\n');
  });
});
