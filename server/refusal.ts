// A delivery hookflow refuses. Its status is below 500 and its message is shown to the sender, who
// reads it in the provider's "Recent deliveries" view — so it names the problem in plain words.
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
