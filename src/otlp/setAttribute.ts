/**
 * Sets a decoded attribute. A key named `__proto__` must become an own property, not
 * replace the object's prototype, so that one is defined rather than assigned.
 */
export function setAttribute(into: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    into[key] = value;
  }
}
