/**
 * The rows of a raw query: TypeORM's postgres driver answers SELECT with the rows, and
 * UPDATE/DELETE … RETURNING with `[rows, affectedCount]`.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (!Array.isArray(result)) return [];
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
