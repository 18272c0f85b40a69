// The one error type of the selector parsers. Its message is the text Kubernetes puts in the 400
// response (e.g. `unable to parse requirement: found '', expected: identifier`), so the server can
// pass it through unchanged.
export class SelectorError extends Error {
  override name = 'SelectorError';
}
