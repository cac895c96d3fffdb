import { expect } from 'chai';
import { formatSse, parseSse, SseLimitError, SseParser } from '../../src/formats/sse.ts';

describe('SSE parser', () => {
  it('hands back each event as soon as its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.feed('data: {"a"')).to.deep.equal([]);
    expect(parser.feed(':1}\n')).to.deep.equal([]);
    expect(parser.feed('\ndata: second')).to.deep.equal([{ data: '{"a":1}' }]);
    expect(parser.feed('\n\n')).to.deep.equal([{ data: 'second' }]);
  });

  it('reads event names, joins multi-line data and skips comments', () => {
    const text = ': keep-alive\nevent: message_start\ndata: line one\ndata: line two\n\nevent: ping\ndata:{"type":"ping"}\n\n';
    expect(parseSse(text)).to.deep.equal([
      { event: 'message_start', data: 'line one\nline two' },
      { event: 'ping', data: '{"type":"ping"}' },
    ]);
  });

  it('accepts \\r\\n and bare \\r line ends, even when a \\r\\n pair is split across chunks', () => {
    const parser = new SseParser();
    const events = [
      ...parser.feed('data: a\r'),
      ...parser.feed('\n\r'),
      ...parser.feed('\ndata: b\r\r'),
      ...parser.feed('data: c\n\n'),
    ];
    expect(events).to.deep.equal([{ data: 'a' }, { data: 'b' }, { data: 'c' }]);
  });

  it('does not dispatch an event without data, and resets the event name after each event', () => {
    expect(parseSse('event: lonely\n\ndata: x\n\n')).to.deep.equal([{ data: 'x' }]);
  });

  it('ignores id and retry fields and strips only one space after the colon', () => {
    expect(parseSse('id: 7\nretry: 100\ndata:  two spaces\n\n')).to.deep.equal([{ data: ' two spaces' }]);
  });

  it('dispatches a last event that lacks its blank line when the stream ends', () => {
    const parser = new SseParser();
    expect(parser.feed('data: {"done":true}')).to.deep.equal([]);
    expect(parser.flush()).to.deep.equal([{ data: '{"done":true}' }]);
  });

  it('drops a leading byte order mark', () => {
    expect(parseSse('\uFEFFdata: x\n\n')).to.deep.equal([{ data: 'x' }]);
  });

  it('formats events that parse back to themselves', () => {
    expect(formatSse(undefined, '{"a":1}')).to.equal('data: {"a":1}\n\n');
    expect(formatSse('error', 'x\ny')).to.equal('event: error\ndata: x\ndata: y\n\n');
    expect(parseSse(formatSse('content_block_delta', 'multi\nline') + formatSse(undefined, '[DONE]')))
      .to.deep.equal([{ event: 'content_block_delta', data: 'multi\nline' }, { data: '[DONE]' }]);
  });

  it('reads a long line cut into many chunks as one line, each piece looked at once', () => {
    const parser = new SseParser(1024 * 1024);
    const piece = 'x'.repeat(1000);
    expect(parser.feed('data: ')).to.deep.equal([]);
    for (let i = 0; i < 500; i++) expect(parser.feed(piece)).to.deep.equal([]);
    const [event] = parser.feed('\r\n\r\n');
    expect(event!.data.length).to.equal(500_000);
  });

  it('throws SseLimitError once an unterminated line passes the bound, without waiting for its end', () => {
    const parser = new SseParser(10_000);
    parser.feed('data: ');
    expect(() => { for (let i = 0; i < 20; i++) parser.feed('y'.repeat(1000)); }).to.throw(SseLimitError, /longer than 10000/);
  });

  it('bounds an event made of many short data lines as well as one long line', () => {
    const parser = new SseParser(10_000);
    expect(() => { for (let i = 0; i < 20; i++) parser.feed(`data: ${'z'.repeat(900)}\n`); }).to.throw(SseLimitError);
    const ok = new SseParser(10_000);
    for (let i = 0; i < 20; i++) ok.feed(`data: ${'z'.repeat(900)}\n\n`);
  });

  it('a line split right after its \\r, across chunks, ends once', () => {
    const parser = new SseParser();
    expect(parser.feed('data: a')).to.deep.equal([]);
    expect(parser.feed('\r')).to.deep.equal([]);
    expect(parser.feed('\n\r\n')).to.deep.equal([{ data: 'a' }]);
  });
});
