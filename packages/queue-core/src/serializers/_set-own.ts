// Decoded mappings become plain objects. A key "__proto__" must be stored as an own property;
// plain assignment would instead replace the object's prototype (prototype pollution).

/** `target[key] = value`, safe for every key. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
