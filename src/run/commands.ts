import type { RegisterCommands } from '../command-context.ts';

export const registerRunCommands: RegisterCommands = () => {};
