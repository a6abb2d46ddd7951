/**
 * Imports a module of another area by path when it exists, so the jobs and the HTTP service work
 * while those areas are still landing. Returns undefined only when the file itself is missing.
 */
export async function importIfPresent(url: URL): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(url.href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(url.pathname.split('/').pop()!)) {
      return undefined;
    }
    throw error;
  }
}

/** The first exported function named `name` among `urls`. */
export async function findExport<T>(urls: URL[], name: string): Promise<T | undefined> {
  for (const url of urls) {
    const module = await importIfPresent(url);
    if (module && typeof module[name] === 'function') return module[name] as T;
  }
  return undefined;
}
