import type { RegisterCommands } from '../command-context.ts';

export const registerWorkbooksCommands: RegisterCommands = () => {};
