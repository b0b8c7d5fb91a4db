"""The MES: the only Django package (settings, urls, apps by bounded context)."""
