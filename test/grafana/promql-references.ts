// Extracts what a PromQL expression refers to — metric names, the label names
// of each selector's matchers (with their values), and the labels of
// by/without/on/ignoring/group_* clauses — with a small lexer, so the
// dashboard and alert tests can check them against the contract.

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
}

export interface References {
  selectors: Selector[];
  /** Labels named in by(...), without(...), on(...), ignoring(...), group_left(...), group_right(...). */
  groupingLabels: string[];
  /** Functions and aggregations called. */
  functions: string[];
}

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'punct'; text: string };

const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2', 'start', 'end']);
const groupingKeywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const aggregations = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio',
]);

function lex(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let text = '';
      while (j < expr.length && expr[j] !== c) {
        if (expr[j] === '\\' && c !== '`') {
          text += expr[j + 1];
          j += 2;
        } else {
          text += expr[j++];
        }
      }
      if (j >= expr.length) throw new Error(`unterminated string in: ${expr}`);
      tokens.push({ kind: 'string', text });
      i = j + 1;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(?:0x[0-9a-f]+|[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?(?:ms|[smhdwy])?(?:[0-9]+(?:ms|[smhdwy]))*)/i.exec(expr.slice(i))!;
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length || 1;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else if (c === '$') {
      // Grafana variables ($__rate_interval, ${datasource}): a placeholder, never a metric.
      const m = /^\$(\{[^}]*\}|[a-zA-Z0-9_]+)/.exec(expr.slice(i));
      if (!m) throw new Error(`bad variable in: ${expr}`);
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else {
      const two = expr.slice(i, i + 2);
      const op = ['=~', '!~', '!=', '==', '>=', '<='].includes(two) ? two : c;
      tokens.push({ kind: 'punct', text: op });
      i += op.length;
    }
  }
  return tokens;
}

export function references(expr: string): References {
  const tokens = lex(expr);
  const result: References = { selectors: [], groupingLabels: [], functions: [] };
  let i = 0;
  const peek = (k = 0) => tokens[i + k];
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.text === '[') {
      while (i < tokens.length && !(tokens[i]!.kind === 'punct' && tokens[i]!.text === ']')) i++;
      i++;
      continue;
    }
    if (t.kind === 'punct' && t.text === '{') {
      throw new Error(`selector without a metric name in: ${expr}`);
    }
    if (t.kind !== 'ident') {
      i++;
      continue;
    }
    const next = peek(1);
    if (groupingKeywords.has(t.text)) {
      i++;
      if (peek()?.kind === 'punct' && peek()!.text === '(') {
        i++;
        while (i < tokens.length && !(tokens[i]!.kind === 'punct' && tokens[i]!.text === ')')) {
          if (tokens[i]!.kind === 'ident') result.groupingLabels.push(tokens[i]!.text);
          i++;
        }
        i++;
      }
      continue;
    }
    if (keywords.has(t.text.toLowerCase())) {
      i++;
      continue;
    }
    const aggregationClause = aggregations.has(t.text) && next?.kind === 'ident' && (next.text === 'by' || next.text === 'without');
    if ((next?.kind === 'punct' && next.text === '(') || aggregationClause) {
      result.functions.push(t.text);
      i++;
      continue;
    }
    const selector: Selector = { metric: t.text, matchers: [] };
    i++;
    if (peek()?.kind === 'punct' && peek()!.text === '{') {
      i++;
      while (i < tokens.length && !(tokens[i]!.kind === 'punct' && tokens[i]!.text === '}')) {
        const label = tokens[i]!;
        const op = tokens[i + 1];
        const value = tokens[i + 2];
        if (label.kind !== 'ident' || op?.kind !== 'punct' || value?.kind !== 'string' || !['=', '!=', '=~', '!~'].includes(op.text)) {
          throw new Error(`cannot read the matchers of ${selector.metric} in: ${expr}`);
        }
        selector.matchers.push({ label: label.text, op: op.text as Matcher['op'], value: value.text });
        i += 3;
        if (peek()?.kind === 'punct' && peek()!.text === ',') i++;
      }
      i++;
    }
    result.selectors.push(selector);
  }
  return result;
}
