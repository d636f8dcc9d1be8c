"""The AWS CLI mirror behind `imageset-search search-image-sets`: `aws medical-imaging search-image-sets` option for
option, read (params, request), connected (connection), paged (paging) and printed (output, skeleton) as awscli does.

Only the `search_image_sets` command imports this package, so the MCP server never loads it.
"""
