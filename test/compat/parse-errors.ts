// A query's parse error as Prometheus prints it, for the compat tests that compare which error a
// query gets (first-error, regex-errors). Their cases write errors as "line:column: message".
import { ParseError } from '../../src/promql/errors.ts';
import { parseExpr } from '../../src/promql/parser.ts';

/** A case's "line:column: message" as Prometheus prints it ("line:column: parse error: message"); "OK" stays. */
export function asPrometheusPrints(want: string): string {
  return want === 'OK' ? want : want.replace(/^(\d+:\d+): /, '$1: parse error: ');
}

/** Strata's parse error for a query, as Prometheus prints it, or "OK". */
export function strataParseError(query: string): string {
  try {
    parseExpr(query);
    return 'OK';
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return e.message;
  }
}
