"""Operations tooling shipped in the images (the broker's users and their permissions)."""
