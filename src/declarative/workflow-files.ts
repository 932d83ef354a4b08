import { extname } from 'node:path';

/** The file extensions read as workflow definitions. */
export const WORKFLOW_FILE_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/** True when `file` is a workflow definition file by its extension. */
export function isWorkflowFile(file: string): boolean {
  return WORKFLOW_FILE_EXTENSIONS.includes(extname(file).toLowerCase());
}
