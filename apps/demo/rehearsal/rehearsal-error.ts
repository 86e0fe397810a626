/** A rehearsal step that could not run; its message is the whole story (no stack is printed). */
export class RehearsalError extends Error {
  override readonly name = 'RehearsalError';
}
