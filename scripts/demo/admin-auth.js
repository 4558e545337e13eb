// The editor's login for `npm start` (Node-RED adminAuth, user "admin"): anyone who can open the
// editor can run code as this process's user (an exec or function node), so it is never left open.
// The first start makes a random password, keeps only its bcrypt hash in the user directory and prints
// the password once; NODE_RED_ADMIN_PASSWORD gives the password instead (scripts, tests, containers).
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

// Node-RED itself depends on bcryptjs (it checks adminAuth passwords with it): use that copy.
const bcrypt = require(require.resolve('bcryptjs', { paths: [path.dirname(require.resolve('node-red/package.json'))] }));

const USERNAME = 'admin';
const HASH_FILE = 'admin-password.bcrypt';

/**
 * Node-RED's adminAuth setting, and the line to print (only when a password was just made).
 * @returns {{ adminAuth: object, announce?: string, hashFile: string }}
 */
function adminAuth(userDir, env = process.env) {
  const hashFile = path.join(userDir, HASH_FILE);
  let hash;
  let announce;
  if (env.NODE_RED_ADMIN_PASSWORD) {
    hash = bcrypt.hashSync(env.NODE_RED_ADMIN_PASSWORD, 10);
  } else if (fs.existsSync(hashFile)) {
    hash = fs.readFileSync(hashFile, 'utf8').trim();
  } else {
    const password = crypto.randomBytes(12).toString('base64url');
    hash = bcrypt.hashSync(password, 10);
    fs.writeFileSync(hashFile, `${hash}\n`, { mode: 0o600 });
    announce = `  editor login:  user ${USERNAME}, password ${password}\n`
      + `                 (shown this once; only its hash is kept, in ${hashFile}: delete that file for a new one,\n`
      + '                 or set NODE_RED_ADMIN_PASSWORD)';
  }
  return {
    hashFile,
    announce,
    adminAuth: { type: 'credentials', users: [{ username: USERNAME, password: hash, permissions: '*' }] },
  };
}

module.exports = { adminAuth, ADMIN_USERNAME: USERNAME, HASH_FILE };
