import type { RegisterCommands } from '../command-context.ts';

export const registerPricingCommands: RegisterCommands = () => {};
