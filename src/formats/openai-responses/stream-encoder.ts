// IR stream events -> the Responses SSE sequence the Codex CLI and the
// OpenAI SDKs read: response.created, response.in_progress, then per output
// item output_item.added ... deltas ... output_item.done, and one terminal
// event (response.completed, response.incomplete or response.failed) that
// carries the whole response with usage. Each IR event is written at once.
//
// Items open in the order the model produces them. Text and reasoning are one
// item at a time; function calls stay open until something else starts or the
// reply finishes, so their argument fragments always land on the right item.
// A call to a custom tool or to tool_search (tool-names.ts) is announced when
// it starts but its input can only be read once its arguments are whole: it
// is written out (custom_tool_call_input.delta/.done) when the call closes.

import type { StreamEncoder } from '../codec.ts';
import { formatSse } from '../sse.ts';
import type { FinishReason, GatewayError, StreamEvent, TokenUsage } from '../ir.ts';
import {
  failureCode, finalState, itemId, itemStatus, responseId, responseObject,
} from './response-object.ts';
import type {
  ItemStatus, MessageItem, OutputItem, OutputText, ReasoningItem, ResponseObject, ResponsesEnvironment,
  SummaryText,
} from './response-object.ts';
import type { RequestEcho } from './request-echo.ts';
import { callItem, customInput } from './call-item.ts';
import { parseArgumentsObject } from '../shared/json-reader.ts';
import type { CallItem } from './response-object.ts';
import { ToolNames } from './tool-names.ts';

interface OpenMessage { kind: 'message'; outputIndex: number; item: MessageItem; part: OutputText }
interface OpenReasoning { kind: 'reasoning'; outputIndex: number; item: ReasoningItem; part: SummaryText | undefined }
/** `args` collects the upstream's argument text; a function_call item also shows it as it grows. */
interface OpenCall { outputIndex: number; item: CallItem; args: string }

export class ResponsesStreamEncoder implements StreamEncoder {
  private readonly model: string;
  private readonly environment: ResponsesEnvironment;
  private readonly echo: RequestEcho;
  private readonly names: ToolNames;
  private sequence = 0;
  private id: string | undefined;
  private createdAt = 0;
  private readonly output: OutputItem[] = [];
  private current: OpenMessage | OpenReasoning | undefined;
  /** Open function calls by their IR index. */
  private readonly calls = new Map<number, OpenCall>();
  private usage: TokenUsage | undefined;
  private finishReason: FinishReason | undefined;
  /** True once a terminal event went out: nothing may follow it. */
  private terminated = false;

  constructor(model: string, environment: ResponsesEnvironment, echo: RequestEcho, names: ToolNames = new ToolNames()) {
    this.model = model;
    this.environment = environment;
    this.echo = echo;
    this.names = names;
  }

  encode(event: StreamEvent): string {
    if (this.terminated) return '';
    switch (event.type) {
      case 'start':
        return this.begin(event.id, event.created);
      case 'text':
        return this.begin() + this.text(event.text);
      case 'reasoning':
        return this.begin() + this.reasoning(event.text, event.signature);
      case 'tool_call_start':
        return this.begin() + this.startCall(event.index, event.id, event.name);
      case 'tool_call_delta':
        return this.begin() + this.callArguments(event.index, event.arguments);
      case 'usage':
        this.usage = event.usage;
        return '';
      case 'finish':
        this.finishReason = event.reason;
        return this.begin() + this.closeAll();
      case 'error':
        return this.error({ status: event.status, type: event.errorType, message: event.message });
    }
  }

  end(): string {
    if (this.terminated) return '';
    const out = this.begin() + this.closeAll();
    const state = finalState(this.finishReason ?? 'stop');
    const type = state.status === 'completed' ? 'response.completed'
      : state.status === 'incomplete' ? 'response.incomplete' : 'response.failed';
    this.terminated = true;
    return out + this.send(type, {
      response: this.snapshot(state.status, {
        output: this.output, usage: this.usage, error: state.error, incompleteDetails: state.incomplete_details,
      }),
    });
  }

  /** response.failed, whose response carries {code, message}: what Codex reads. */
  error(error: GatewayError): string {
    if (this.terminated) return '';
    const out = this.begin();
    this.terminated = true;
    return out + this.send('response.failed', {
      response: this.snapshot('failed', {
        output: this.output, usage: this.usage, error: { code: failureCode(error), message: error.message },
      }),
    });
  }

  private begin(upstreamId?: string, created?: number): string {
    if (this.id !== undefined) return '';
    this.id = responseId(upstreamId, this.environment);
    this.createdAt = created ?? Math.floor(this.environment.now() / 1000);
    const response = this.snapshot('in_progress', { output: [] });
    return this.send('response.created', { response }) + this.send('response.in_progress', { response });
  }

  private text(delta: string): string {
    if (delta === '') return '';
    let out = '';
    let open = this.current;
    if (open?.kind !== 'message') {
      out += this.closeCurrent('completed') + this.closeCalls(() => 'completed');
      open = this.openMessage();
      out += this.send('response.output_item.added', { output_index: open.outputIndex, item: { ...open.item, content: [] } });
      out += this.send('response.content_part.added', {
        item_id: open.item.id, output_index: open.outputIndex, content_index: 0, part: { ...open.part },
      });
    }
    open.part.text += delta;
    return out + this.send('response.output_text.delta', {
      item_id: open.item.id, output_index: open.outputIndex, content_index: 0, delta, logprobs: [],
    });
  }

  /** Reasoning text becomes the item's summary; a signature (possibly in
   *  fragments, possibly without text) becomes its encrypted_content. */
  private reasoning(delta: string, signature: string | undefined): string {
    if (delta === '' && signature === undefined) return '';
    let out = '';
    let open = this.current;
    if (open?.kind !== 'reasoning') {
      out += this.closeCurrent('completed') + this.closeCalls(() => 'completed');
      open = this.openReasoning();
      out += this.send('response.output_item.added', { output_index: open.outputIndex, item: { ...open.item, summary: [] } });
    }
    if (signature !== undefined) open.item.encrypted_content = (open.item.encrypted_content ?? '') + signature;
    if (delta === '') return out;
    if (open.part === undefined) {
      open.part = { type: 'summary_text', text: '' };
      open.item.summary.push(open.part);
      out += this.send('response.reasoning_summary_part.added', {
        item_id: open.item.id, output_index: open.outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' },
      });
    }
    open.part.text += delta;
    return out + this.send('response.reasoning_summary_text.delta', {
      item_id: open.item.id, output_index: open.outputIndex, summary_index: 0, delta,
    });
  }

  private startCall(index: number, callId: string, name: string): string {
    let out = this.closeCurrent('completed');
    if (this.calls.has(index)) return out;
    const item = callItem(this.names.shapeOf(name), callId, '', 'in_progress', this.environment);
    const call: OpenCall = { outputIndex: this.output.length, item, args: '' };
    this.output.push(item);
    this.calls.set(index, call);
    out += this.send('response.output_item.added', { output_index: call.outputIndex, item: { ...item } });
    return out;
  }

  private callArguments(index: number, delta: string): string {
    const call = this.calls.get(index);
    // A fragment for a call that never started cannot be placed; the IR
    // contract says tool_call_start always comes first.
    if (call === undefined || delta === '') return '';
    call.args += delta;
    if (call.item.type !== 'function_call') return '';
    call.item.arguments = call.args;
    return this.send('response.function_call_arguments.delta', {
      item_id: call.item.id, output_index: call.outputIndex, delta,
    });
  }

  private openMessage(): OpenMessage {
    const part: OutputText = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    const item: MessageItem = { id: itemId('msg', this.environment), type: 'message', status: 'in_progress', role: 'assistant', content: [part] };
    const open: OpenMessage = { kind: 'message', outputIndex: this.output.length, item, part };
    this.output.push(item);
    this.current = open;
    return open;
  }

  private openReasoning(): OpenReasoning {
    const item: ReasoningItem = { id: itemId('rs', this.environment), type: 'reasoning', summary: [] };
    const open: OpenReasoning = { kind: 'reasoning', outputIndex: this.output.length, item, part: undefined };
    this.output.push(item);
    this.current = open;
    return open;
  }

  /** At the finish, the item written last takes the finish's status (incomplete when cut short). */
  private closeAll(): string {
    const lastIndex = this.output.length - 1;
    const status = (outputIndex: number): ItemStatus =>
      outputIndex === lastIndex ? itemStatus(this.finishReason) : 'completed';
    const open = this.current;
    return this.closeCurrent(open ? status(open.outputIndex) : 'completed') + this.closeCalls(status);
  }

  private closeCurrent(status: ItemStatus): string {
    const open = this.current;
    if (open === undefined) return '';
    this.current = undefined;
    const ids = { item_id: open.item.id, output_index: open.outputIndex };
    let out = '';
    if (open.kind === 'message') {
      open.item.status = status;
      out += this.send('response.output_text.done', { ...ids, content_index: 0, text: open.part.text, logprobs: [] });
      out += this.send('response.content_part.done', { ...ids, content_index: 0, part: open.part });
    } else if (open.part !== undefined) {
      out += this.send('response.reasoning_summary_text.done', { ...ids, summary_index: 0, text: open.part.text });
      out += this.send('response.reasoning_summary_part.done', { ...ids, summary_index: 0, part: open.part });
    }
    return out + this.send('response.output_item.done', { output_index: open.outputIndex, item: open.item });
  }

  private closeCalls(status: (outputIndex: number) => ItemStatus): string {
    let out = '';
    for (const call of this.calls.values()) {
      const item = call.item;
      item.status = status(call.outputIndex);
      const ids = { item_id: item.id, output_index: call.outputIndex };
      if (item.type === 'function_call') {
        out += this.send('response.function_call_arguments.done', { ...ids, name: item.name, arguments: item.arguments });
      } else if (item.type === 'custom_tool_call') {
        item.input = customInput(call.args);
        if (item.input !== '') out += this.send('response.custom_tool_call_input.delta', { ...ids, delta: item.input });
        out += this.send('response.custom_tool_call_input.done', { ...ids, input: item.input });
      } else {
        item.arguments = parseArgumentsObject(call.args) ?? {};
      }
      out += this.send('response.output_item.done', { output_index: call.outputIndex, item });
    }
    this.calls.clear();
    return out;
  }

  private snapshot(status: ResponseObject['status'], fields: {
    output: OutputItem[];
    usage?: TokenUsage | undefined;
    error?: ResponseObject['error'];
    incompleteDetails?: ResponseObject['incomplete_details'];
  }): ResponseObject {
    return responseObject({ id: this.id ?? '', createdAt: this.createdAt, model: this.model, echo: this.echo, status, ...fields });
  }

  private send(type: string, payload: Record<string, unknown>): string {
    return formatSse(type, JSON.stringify({ type, ...payload, sequence_number: this.sequence++ }));
  }
}
