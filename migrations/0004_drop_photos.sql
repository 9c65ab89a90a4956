-- A drop's photo uploaded through the drop form: kept in KV under `photo:{listing id}` and
-- served by the worker at /photos/{listing id}. The column records its type (and that it
-- exists); image_url stays for photos linked from elsewhere.
ALTER TABLE listings ADD COLUMN photo_type TEXT CHECK (photo_type IS NULL OR photo_type IN ('image/png', 'image/jpeg', 'image/webp', 'image/gif'));
