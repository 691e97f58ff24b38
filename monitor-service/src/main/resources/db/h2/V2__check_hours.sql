-- Every result of every check, packed per check and hour (8 bytes a result) with the hour's aggregates. After the raw
-- retention the packed data is dropped and the aggregates stay (hourly roll-up); after a year the row goes.
CREATE TABLE check_hour (
    check_name  VARCHAR(64)   NOT NULL,
    hour_start  TIMESTAMP WITH TIME ZONE NOT NULL,
    total       INTEGER       NOT NULL,
    ok          INTEGER       NOT NULL,
    latency_sum BIGINT        NOT NULL,
    latency_max INTEGER       NOT NULL,
    data        VARBINARY(65536),
    PRIMARY KEY (check_name, hour_start)
);
-- check_result now keeps failed runs only (with what was seen), for the raw retention.
