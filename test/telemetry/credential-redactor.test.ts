import { expect } from 'chai';
import { CredentialRedactor, MIN_SECRET_LENGTH } from '../../src/telemetry/credential-redactor.ts';

describe('credential redactor', () => {
  it('replaces every occurrence of each value, keeping the text around it', () => {
    const r = new CredentialRedactor(['abcdefgh-1234', 'zzzzzzzz']);
    expect(r.redact('key abcdefgh-1234 and zzzzzzzz, again abcdefgh-1234.')).to.equal('key [redacted] and [redacted], again [redacted].');
  });

  it('finds a value in its JSON-escaped and URL-encoded forms', () => {
    const secret = 'p/a+s"s=w\\ord!';
    const r = new CredentialRedactor([secret]);
    expect(r.redact(JSON.stringify({ header: secret }))).to.equal('{"header":"[redacted]"}');
    expect(r.redact(`?key=${encodeURIComponent(secret)}&x=1`)).to.equal('?key=[redacted]&x=1');
  });

  it('replaces a value that contains another one whole', () => {
    const r = new CredentialRedactor(['shortkey', 'shortkey-and-longer']);
    expect(r.redact('shortkey-and-longer')).to.equal('[redacted]');
  });

  it(`leaves values shorter than ${MIN_SECRET_LENGTH} characters alone, and is empty without any`, () => {
    const r = new CredentialRedactor(['o1', 'k1']);
    expect(r.empty).to.equal(true);
    expect(r.redact('model o1 said k1')).to.equal('model o1 said k1');
  });
});
