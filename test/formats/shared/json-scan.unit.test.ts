// The pass-through request scanner against JSON.parse, its oracle: every body
// it accepts JSON.parse accepts as an object, with the same value for every
// top-level member (the last of duplicates), and every body JSON.parse
// refuses it refuses. Hand-picked hostile bodies first, then mutations of real
// ones (every truncation, every byte replaced by a JSON-significant one).

import { expect } from 'chai';
import { memberValue, scanJsonObject } from '../../../src/formats/shared/json-scan.ts';

/** What JSON.parse makes of the body decoded as UTF-8: an object, or undefined. */
function oracle(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function agrees(body: Buffer): void {
  const expected = oracle(body);
  const scan = scanJsonObject(body);
  const shown = body.length > 120 ? `${body.toString('utf8', 0, 120)}… (${body.length} bytes)` : JSON.stringify(body.toString('latin1'));
  if (expected === undefined) {
    expect(scan, `accepted what JSON.parse refuses: ${shown}`).to.equal(undefined);
    return;
  }
  expect(scan, `refused what JSON.parse accepts: ${shown}`).to.not.equal(undefined);
  expect([...scan!.members.keys()].sort(), shown).to.deep.equal(Object.keys(expected).sort());
  for (const name of Object.keys(expected)) expect(memberValue(body, scan!, name), `${name} in ${shown}`).to.deep.equal(expected[name]);
}

const b = (text: string) => Buffer.from(text, 'utf8');

describe('json-scan: a validating scan of a request body’s top-level members', () => {
  const chat = JSON.stringify({
    model: 'gpt-4o', stream: true, user: 'u-1', stream_options: { include_usage: true },
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi "there" \\ \u00e9 \ud83d\ude00' }],
    temperature: 0.7, max_tokens: 64, tools: [], n: null, logprobs: false,
  });

  it('reads every member of a chat request as JSON.parse does', () => {
    agrees(b(chat));
    const scan = scanJsonObject(b(chat))!;
    expect(memberValue(b(chat), scan, 'model')).to.equal('gpt-4o');
    expect(scan.members.get('stream')!.kind).to.equal(0x74);
    expect(scan.duplicates).to.equal(undefined);
  });

  const hostile: [string, string][] = [
    ['a "model" key nested in a message', '{"messages":[{"model":"evil","content":"x"}],"model":"real"}'],
    ['"model" only nested', '{"metadata":{"model":"evil"}}'],
    ['escaped quotes and backslashes in strings', '{"a":"he said \\"model\\": \\"x\\"","model":"m\\\\"}'],
    ['a key spelled with an escape', '{"mo\\u0064el":"escaped-key"}'],
    ['unicode escapes, surrogate pairs, lone surrogates', '{"model":"\\u00e9\\ud83d\\ude00\\ud800"}'],
    ['duplicate keys: the last wins', '{"model":"first","stream":true,"model":"second","stream":false}'],
    ['whitespace everywhere', ' \r\n\t{ \n"model" \t:\r "m" , "n" : [ 1 , { } , [ ] ] } \n'],
    ['empty object', '{}'],
    ['empty key', '{"":1}'],
    ['numbers of every shape', '{"a":0,"b":-0,"c":1.5e10,"d":-2E-3,"e":1e+2,"f":123456789012345678901234567890}'],
    ['deep nesting (chai compares up to a few hundred levels)', '{"a":' + '['.repeat(300) + ']'.repeat(300) + '}'],
    ['a DEL and raw non-ASCII in a string', '{"a":"\u007f é 日本"}'],
  ];
  for (const [what, text] of hostile) it(`agrees with JSON.parse: ${what}`, () => agrees(b(text)));

  it('records duplicates so callers can decline the fast path', () => {
    const scan = scanJsonObject(b('{"model":"a","model":"b"}'))!;
    expect([...scan.duplicates!.keys()]).to.deep.equal(['model']);
    expect(scan.duplicates!.get('model')!.map((s) => s.start)).to.deep.equal([9]);
    expect(memberValue(b('{"model":"a","model":"b"}'), scan, 'model')).to.equal('b');
  });

  const refused: [string, string | Buffer][] = [
    ['empty body', ''],
    ['only whitespace', '  \n'],
    ['an array', '[{"model":"x"}]'],
    ['a string', '"model"'],
    ['truncated', '{"model": '],
    ['trailing comma in object', '{"model":"m",}'],
    ['trailing comma in array', '{"a":[1,]}'],
    ['trailing garbage', '{"model":"m"} x'],
    ['two objects', '{}{}'],
    ['single quotes', "{'model':'m'}"],
    ['unquoted key', '{model:"m"}'],
    ['a raw newline in a string', '{"a":"x\ny"}'],
    ['a raw tab in a string', '{"a":"x\ty"}'],
    ['a bad escape', '{"a":"\\x41"}'],
    ['a short unicode escape', '{"a":"\\u12"}'],
    ['a non-hex unicode escape', '{"a":"\\u12G4"}'],
    ['a leading zero', '{"a":01}'],
    ['a bare minus', '{"a":-}'],
    ['a dot without digits', '{"a":1.}'],
    ['an exponent without digits', '{"a":1e}'],
    ['a plus sign', '{"a":+1}'],
    ['NaN', '{"a":NaN}'],
    ['a misspelled literal', '{"a":tru}'],
    ['a comment', '{"a":1 /* c */}'],
    ['a byte-order mark', '\ufeff{"a":1}'],
    ['a non-breaking space as whitespace', '{\u00a0"a":1}'],
    ['an unclosed array', '{"a":[1,2}'],
    ['mismatched brackets', '{"a":[1,2}]}'],
    ['a missing colon', '{"a" 1}'],
    ['a missing value', '{"a":}'],
    ['invalid UTF-8 outside a string', Buffer.from([0x7b, 0xff, 0x7d])],
  ];
  for (const [what, text] of refused) {
    it(`refuses, as JSON.parse does: ${what}`, () => {
      const body = typeof text === 'string' ? b(text) : text;
      expect(oracle(body)).to.equal(undefined);
      expect(scanJsonObject(body)).to.equal(undefined);
    });
  }

  it('accepts invalid UTF-8 inside a string, as JSON.parse does after decoding', () => {
    const body = Buffer.concat([b('{"model":"m","a":"'), Buffer.from([0xc3, 0x28, 0xff]), b('"}')]);
    agrees(body);
    expect(scanJsonObject(body)).to.not.equal(undefined);
  });

  it('scans 100,000 levels of nesting without using the stack', () => {
    const deep = b('{"a":' + '['.repeat(100_000) + ']'.repeat(100_000) + ',"model":"m"}');
    expect(memberValue(deep, scanJsonObject(deep)!, 'model')).to.equal('m');
    expect(scanJsonObject(b('{"a":' + '['.repeat(100_000) + ']'.repeat(99_999) + '}'))).to.equal(undefined);
  });

  it('scans a 2 MB prompt', () => {
    const big = b(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'The quick "brown" fox. '.repeat(100_000) }] }));
    agrees(big);
  });

  it('agrees with JSON.parse on every truncation and on bytes replaced by JSON-significant ones', () => {
    const seeds = [chat, '{"model":"m","messages":[{"role":"user","content":"a\\"b"}],"n":-1.5e3,"x":[true,false,null,{}]}'];
    const significant = [...'{}[]",:\\ 0-1.eE+tfn\n\t'].map((c) => c.charCodeAt(0)).concat([0x00, 0x1f, 0x7f, 0xc3, 0xff]);
    for (const seed of seeds) {
      const body = b(seed);
      for (let cut = 0; cut <= body.length; cut++) agrees(body.subarray(0, cut));
      for (let at = 0; at < body.length; at++) {
        for (const byte of significant) {
          const mutated = Buffer.from(body);
          mutated[at] = byte;
          agrees(mutated);
        }
      }
    }
  });
});
