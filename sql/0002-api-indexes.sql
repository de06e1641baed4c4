-- 0002-api-indexes: what the REST API's default order needs.
--
-- Every API list is ordered by id unless the client asks otherwise, and
-- the page is found by walking an index in that order (api.c).  With a
-- project filter, that takes an index led by project_id and ending in
-- id; with a state filter too (git-pw's and pwclient's default lists,
-- patches/?project=P&state=new), one with state_id between them: without
-- it the walk skips every patch of the project in another state, which
-- in a mature project is nearly all of them.
--
-- This file runs inside the transaction of `pw db sync`: no BEGIN/COMMIT.

CREATE INDEX patch_project_state_id_idx ON patch (project_id, state_id, id);
CREATE INDEX series_project_id_idx ON series (project_id, id);
CREATE INDEX cover_project_id_idx ON cover (project_id, id);
