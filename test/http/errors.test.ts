import { expect } from 'chai';
import { gatewayError, renderError } from '../../src/http/errors.ts';

describe('gateway errors in the caller protocol', () => {
  // Issue 19: `param` is required (nullable) in OpenAI's published Error schema; the real API sends null.
  it('OpenAI style carries message, type, param and code, as the real API does', () => {
    expect(renderError('openai', gatewayError(401, 'unknown key', 'invalid_api_key'))).to.deep.equal({
      error: { message: 'unknown key', type: 'authentication_error', param: null, code: 'invalid_api_key' },
    });
    expect(renderError('openai', gatewayError(404, 'no such model'))).to.deep.equal({
      error: { message: 'no such model', type: 'not_found_error', param: null, code: null },
    });
  });

  it('Anthropic and Ollama styles keep their own shapes', () => {
    expect(renderError('anthropic', gatewayError(413, 'too big'))).to.deep.equal({ type: 'error', error: { type: 'request_too_large', message: 'too big' } });
    expect(renderError('ollama', gatewayError(404, 'no such model'))).to.deep.equal({ error: 'no such model' });
  });
});
