// The gateway's own errors (auth, limits, bad JSON, exhausted failover). They
// carry no type: the caller's codec renders them, like every other error the
// caller sees, naming the type from its protocol's status table
// (formats/shared/error-types.ts). There is no second renderer here.

import type { InboundCodec } from '../formats/codec.ts';
import type { GatewayError } from '../formats/ir.ts';

/** A caller protocol's error renderer: its codec's encodeError. */
export type ErrorEncoder = InboundCodec['encodeError'];

/** A gateway-made error; `code` is OpenAI's machine code (model_required, rate_limit_rpm...). */
export function gatewayError(status: number, message: string, code?: string): GatewayError {
  return code ? { status, message, code } : { status, message };
}
