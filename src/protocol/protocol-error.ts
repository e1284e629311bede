// The error the pure converters raise for input they cannot render: a message that names the
// bad field, and the field's path. Each front door maps it to its own wire error (serve: an
// OpenAI 400 with `param`; eval: a sample rejected with its line).

export class ProtocolError extends Error {
  constructor(
    message: string,
    /** Where in the input, e.g. `messages[2].tool_calls[0].function.arguments`. */
    readonly param?: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
