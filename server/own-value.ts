// Looks a name that arrives from outside (an event, a field of a payload) up in a plain object, among
// its own keys only. `table[name]` would also find what every object inherits: `toString`,
// `constructor`, `valueOf`… — an event named `toString` would then find a function to run as a workflow.

export function ownValue<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}
