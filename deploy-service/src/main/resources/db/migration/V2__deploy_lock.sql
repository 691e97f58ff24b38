-- A site's deploy lock (a freeze, as Kamal's `lock acquire -m`): while a row is here, deploys of the site are refused.
CREATE TABLE deploy_lock (
    site            VARCHAR(100)  NOT NULL PRIMARY KEY,
    reason          VARCHAR(1000) NOT NULL,
    locked_by       VARCHAR(255),
    locked_at       TIMESTAMP WITH TIME ZONE NOT NULL
);
