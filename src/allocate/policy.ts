// Placeholder: the allocation helper replaces this with the validated policy file model.
export interface AllocationPolicy {
  version: string;
  [key: string]: unknown;
}

export const defaultPolicy: AllocationPolicy = { version: 'default-1' };

export function loadPolicy(_file: string | undefined): AllocationPolicy {
  return defaultPolicy;
}
