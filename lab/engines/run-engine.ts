// Where a run executed, as its results.json records it (environment.engine): on this
// machine's own namespaces, or in a container on a Docker engine, with the image and the
// privileges it got. The engine side hands it to the lab inside the container in an
// environment variable; the lab reads it (validated) when it records its environment.
import { z } from 'zod';
import { PRIVILEGES } from './privileges.ts';

export const ENGINE_VARIABLE = 'MPLAB_ENGINE';

const gitSchema = z.strictObject({ revision: z.string(), dirty: z.boolean() });

export const engineRecordSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('local') }),
  z.strictObject({
    kind: z.literal('docker'),
    dockerHost: z.string(),
    image: z.string(),
    imageId: z.string(),
    /** The image it was built on: Node's registry image, or a debootstrap import. */
    base: z.string(),
    privilege: z.enum(PRIVILEGES),
    /** The git state of the tree the image was built from (the image has no .git). */
    git: gitSchema,
  }),
]);

export type EngineRecord = z.infer<typeof engineRecordSchema>;
export type DockerEngineRecord = Extract<EngineRecord, { kind: 'docker' }>;

/** The engine this process runs on: what the engine side set in MPLAB_ENGINE, else local. */
export function currentEngine(env: NodeJS.ProcessEnv = process.env): EngineRecord {
  const text = env[ENGINE_VARIABLE];
  if (text === undefined) return { kind: 'local' };
  const parsed = engineRecordSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${ENGINE_VARIABLE} is not an engine record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export function engineVariable(record: EngineRecord): string {
  return `${ENGINE_VARIABLE}=${JSON.stringify(record)}`;
}
