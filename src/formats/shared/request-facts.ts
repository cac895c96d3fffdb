// Helpers for each codec's requestFacts: the few fields routing needs, read
// without decoding (or validating) the whole request.

/** A string field, else undefined. */
export function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * What sticky routing hashes: the system text and the first two turns (or the
 * whole prompt, when it is not a list). The same conversation hashes the same
 * on every turn, whatever comes after its opening.
 */
export function conversationOpening(system: unknown, turns: unknown): unknown {
  return [system ?? null, Array.isArray(turns) ? turns.slice(0, 2) : turns];
}
