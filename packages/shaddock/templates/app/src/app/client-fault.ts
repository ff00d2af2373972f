/**
 * An error a handler throws to refuse a request: the client receives `{ code, message }` with
 * this numeric `code` (anything else thrown answers 500).
 */
export class ClientFault extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'ClientFault';
    this.code = code;
  }
}
