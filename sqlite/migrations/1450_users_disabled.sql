-- A disabled user cannot sign in, and their tokens do not work, until an
-- admin enables them again (UserService.SetDisabled).
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
