-- Demo data for `make dev`: two builders and a handful of drops. Idempotent (INSERT OR IGNORE).
INSERT OR IGNORE INTO users (discord_id, username, created_at, updated_at) VALUES
  ('100000000000000001', 'keyz', 1764000000000, 1764000000000),
  ('100000000000000002', 'cozycaps', 1764000000000, 1764000000000),
  ('100000000000000003', 'cozybuyer', 1764000000000, 1764000000000);
INSERT OR IGNORE INTO builders (discord_id, handle, shop_name, stripe_account_id, charges_enabled, payouts_enabled,
    details_submitted, approved, approved_by, approved_at, guild_tags, created_at, updated_at) VALUES
  ('100000000000000001', 'keyz', 'Keyz Customs', 'acct_demo_keyz', 1, 1, 1, 1, 'seed', 1764000000000, 'builder,modder', 1764000000000, 1764000000000),
  ('100000000000000002', 'cozycaps', 'CozyCaps', 'acct_demo_cozycaps', 1, 1, 1, 1, 'seed', 1764000000000, 'artisan', 1764000000000, 1764000000000);
INSERT OR IGNORE INTO listings (id, seller_id, kind, title, description, specs, image_url, guild_tag, price_cents,
    shipping_cents, lead_time_weeks, quantity, stock, status, created_at, updated_at) VALUES
  ('D-SNQWWH1T', '100000000000000001', 'ready_to_ship', 'Snow White TKL', 'Lubed Gateron Inks, PBT cherry keycaps, foam-dampened brass plate.',
    'Tactile? No: linear. Hotswap PCB.', NULL, 'builder', 45000, 1500, NULL, 1, 1, 'live', 1764000000000, 1764000000000),
  ('D-PASTE1DK', '100000000000000002', 'ready_to_ship', 'Pastel Deskmat', 'Sakura-milk stitched deskmat, 900 x 400 mm.',
    NULL, NULL, 'merch', 3500, 800, NULL, 20, 17, 'live', 1764000100000, 1764000100000),
  ('D-FR0STW1T', '100000000000000001', 'commission', 'Frost Witch 65% (commission slot)', 'Built to order, streamed live on Twitch from bare PCB to sound test.',
    'Alps-style, gasket mount', NULL, 'modder', 120000, 2500, 6, 3, 2, 'live', 1764000200000, 1764000200000),
  ('D-ARTCAP01', '100000000000000002', 'ready_to_ship', 'Cloud Artisan Keycap', 'Hand-cast resin cloud with a tiny rainbow. Cherry MX stem.',
    NULL, NULL, 'artisan', 6500, 0, NULL, 5, 5, 'live', 1764000300000, 1764000300000);
-- The demo buyer has keyz's vouch, so they are a Member (items up to $600) and can buy the demo drops.
INSERT OR IGNORE INTO vouches (builder_id, buyer_id, created_at) VALUES
  ('100000000000000001', '100000000000000003', 1764000000000);
-- Their pictures ship with the repository (dev/demo/*.png, drawn by dev/demo/make-images.py)
-- and are put in the local KV by scripts/dev.sh, so the demo shop is complete offline.
UPDATE listings SET photo_type = 'image/png', image_url = NULL
  WHERE id IN ('D-SNQWWH1T', 'D-PASTE1DK', 'D-FR0STW1T', 'D-ARTCAP01');
