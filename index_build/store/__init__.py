"""One index and its report catalog, in one backend: the interfaces (:mod:`.base`), the one place that picks a
backend (:mod:`.factory`), the index folder (:mod:`.folder`) and PostgreSQL (:mod:`.postgres`)."""
