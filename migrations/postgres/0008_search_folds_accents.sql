-- Search folds accents, as SQLite's FTS5 does (unicode61 with
-- remove_diacritics 2, migration 0002): `sao paulo` finds "São Paulo" and
-- `São` finds "Sao". A letter of the Latin blocks that Unicode writes as a
-- plain letter with marks over or under it becomes that letter, in the
-- text indexed and in the words searched for alike. Letters with no such
-- decomposition (ł, ø, đ, ß, æ) stay as they are, as on SQLite.

CREATE FUNCTION protoscribe_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT translate(t,
        'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ',
        'AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYyAaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZzZzhtwyAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy')
$$;

-- The search path it is made with is kept with it: the column is computed
-- wherever a row is written, pg_restore's script included, which empties
-- the search path and would not find protoscribe_fold.
CREATE OR REPLACE FUNCTION protocols_search_vector(title text, description text, content text)
RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path FROM CURRENT AS $$
BEGIN
    RETURN setweight(to_tsvector('simple', protoscribe_fold(title)), 'A')
        || setweight(to_tsvector('simple', protoscribe_fold(coalesce(description, ''))), 'B')
        || to_tsvector('simple', protoscribe_fold(content));
EXCEPTION WHEN program_limit_exceeded THEN
    RETURN setweight(to_tsvector('simple', protoscribe_fold(title)), 'A')
        || setweight(to_tsvector('simple', protoscribe_fold(coalesce(description, ''))), 'B')
        || strip(to_tsvector('simple', protoscribe_fold(left(content, 200000))));
END
$$;

-- A stored generated column keeps the values it was computed with: made
-- again, every protocol is indexed with the new function.
ALTER TABLE protocols DROP COLUMN search;
ALTER TABLE protocols ADD COLUMN search tsvector
    GENERATED ALWAYS AS (protocols_search_vector(title, description, content)) STORED;
CREATE INDEX idx_protocols_fts ON protocols USING gin(search);
