import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from "../command-context.js";
// The embedded store is one PostgreSQL in one process: a second process opening the same data
// folder would run a second server on the same files, and what either commits can be lost (issue
// #16.11). The folder is locked by a file created exclusively, holding the owner's pid; a lock
// whose process is gone (kill -9, a crash) is taken over.
export const LOCK_FILE = 'recon.lock';
/** Lock files this process holds: a lock with our pid that is not among them is a previous process's (a restarted container reuses pids). */
const held = new Set();
function readOwner(file) {
    try {
        const owner = JSON.parse(fs.readFileSync(file, 'utf8'));
        return typeof owner.pid === 'number' ? owner : null;
    }
    catch {
        return null; // gone meanwhile, or half written: the caller retries
    }
}
function isAlive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (error) {
        // EPERM: the process exists but belongs to another user
        return error.code === 'EPERM';
    }
}
/** The owner still holds the folder: a live process on this host, or one on another host we cannot check. */
function holds(owner, file) {
    if (owner.host !== os.hostname())
        return true;
    if (owner.pid === process.pid)
        return held.has(file);
    return isAlive(owner.pid);
}
function inUse(dataDir, file, owner) {
    const who = owner.pid === process.pid ? 'this process already has it open' : `process ${owner.pid} on ${owner.host} has it open since ${owner.since} (${owner.command})`;
    return new UserError(`the embedded data folder ${dataDir} is in use: ${who}; one process at a time can use an embedded store`, `stop the other process (e.g. recon serve / recon worker) and rerun, or set DATABASE_URL to a PostgreSQL server to share one database between processes; if no such process is running, delete ${file}`);
}
/**
 * Takes the folder's lock or throws a UserError saying who holds it. Released by `release()`
 * and, should the process end without it, on exit.
 */
export function lockDataFolder(dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.resolve(dataDir, LOCK_FILE);
    const me = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), command: process.argv.slice(2).join(' ') || process.argv[1] || 'node' };
    for (let attempt = 0; attempt < 5; attempt++) {
        try {
            fs.writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx' });
            held.add(file);
            const release = () => {
                if (!held.delete(file))
                    return;
                if (readOwner(file)?.pid === process.pid)
                    fs.rmSync(file, { force: true });
            };
            const onExit = () => release();
            process.once('exit', onExit);
            return {
                file,
                release() {
                    process.off('exit', onExit);
                    release();
                },
            };
        }
        catch (error) {
            if (error.code !== 'EEXIST')
                throw error;
        }
        const owner = readOwner(file);
        if (owner && holds(owner, file))
            throw inUse(dataDir, file, owner);
        if (!owner) {
            // being written by a process starting right now, or unreadable: give it a moment
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
            const again = readOwner(file);
            if (again && holds(again, file))
                throw inUse(dataDir, file, again);
        }
        // Stale (its process is gone): move it aside atomically, so of two processes taking it over
        // only one removes it; if what was moved turns out to be a live lock after all, put it back.
        const aside = `${file}.stale.${process.pid}`;
        try {
            fs.renameSync(file, aside);
        }
        catch (error) {
            if (error.code === 'ENOENT')
                continue;
            throw error;
        }
        const moved = readOwner(aside);
        if (moved && holds(moved, file)) {
            try {
                fs.linkSync(aside, file);
            }
            catch {
                // someone else locked the folder meanwhile: their lock stands
            }
            fs.rmSync(aside, { force: true });
            throw inUse(dataDir, file, moved);
        }
        fs.rmSync(aside, { force: true });
    }
    throw new UserError(`could not lock the embedded data folder ${dataDir}`, `check that no other recon process uses it, then rerun; or set DATABASE_URL`);
}
