import { describe, expect, test } from 'vitest';
import { F64, formatF64, serdeJson, serdeValueOf } from './serde-json.js';

describe('formatF64 (serde_json / Ryu)', () => {
  test.each([
    [12.5, '12.5'],
    [12, '12.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [-3.25, '-3.25'],
    [0.1, '0.1'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e16'],
    [1.2345678901234568e17, '1.2345678901234568e17'],
    [123456.789, '123456.789'],
    [0.001234, '0.001234'],
    [1e-5, '0.00001'],
    [1e-6, '1e-6'],
    [1.5e-7, '1.5e-7'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e308'],
  ])('default: %d → %s', (value, text) => {
    expect(formatF64(value)).toBe(text);
  });

  test('behavior: non-finite floats become null, as serde_json writes them', () => {
    expect(formatF64(Number.NaN)).toBe('null');
    expect(formatF64(Number.POSITIVE_INFINITY)).toBe('null');
  });
});

describe('serdeJson', () => {
  test('default: keys in insertion order, undefined fields skipped, floats wrapped', () => {
    expect(serdeJson({ b: 1, a: 'x', skip: undefined, f: new F64(2), list: [true, null, 3n] })).toBe('{"b":1,"a":"x","f":2.0,"list":[true,null,3]}');
  });

  test('behavior: strings are escaped as serde_json escapes them', () => {
    expect(serdeJson('q"\\/\n\t\u0001\u007f é 👍')).toBe('"q\\"\\\\/\\n\\t\\u0001\u007f é 👍"');
  });

  test('behavior: parsed JSON values write integers as integers and the rest as f64', () => {
    expect(serdeJson(serdeValueOf({ n: 1, f: 1.5, nested: { z: [2, 2.5] } }))).toBe('{"n":1,"f":1.5,"nested":{"z":[2,2.5]}}');
  });

  test('error: a bare non-integer number is refused (wrap floats in F64)', () => {
    expect(() => serdeJson(1.5)).toThrow(/F64/);
  });
});
