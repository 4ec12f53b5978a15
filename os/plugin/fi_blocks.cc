// fi_blocks.cc - GCC plugin: the automatic fault sites, one per basic block.
//
// A GIMPLE pass, run after the last GIMPLE optimisation ("optimized"),
// puts at the start of every basic block of every function an empty
// volatile asm that only defines a label and records its address in the
// non-allocated ELF section .fi_blocks:
//     0:  .pushsection .fi_blocks ; .long 0b ; .popsection
// It emits no instruction, so a site costs nothing at run time: the
// block's code runs as it would without it (the asm only keeps the block
// from being merged away). The host lists the sites from the ELF alone
// (faultinj/autosites.py); the kernel arms one by planting an int3 at its
// address and single-stepping over it (kernel/fi_auto.c). This is the GCC
// counterpart of EDFI's LLVM pass, which clones each block instead.
//
// Why not -fsanitize-coverage=trace-pc: its call per block, disarmed to a
// one-instruction marker, cost 25% more guest instructions on the workload
// (tight loops are 4-6 instructions a block); these labels cost none.
#include "gcc-plugin.h"
#include "plugin-version.h"
#include "tree.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "diagnostic-core.h"

int plugin_is_GPL_compatible;

static const char *const SITE_ASM =
    "0:\n\t.pushsection .fi_blocks,\"\",@progbits\n\t.long 0b\n\t.popsection";

static const pass_data fi_blocks_data = {
    GIMPLE_PASS, "fi_blocks", OPTGROUP_NONE, TV_NONE, PROP_cfg, 0, 0, 0, 0,
};

struct fi_blocks_pass : gimple_opt_pass {
    fi_blocks_pass(gcc::context *ctx) : gimple_opt_pass(fi_blocks_data, ctx) {}
    unsigned int execute(function *fun) override
    {
        basic_block bb;
        FOR_EACH_BB_FN(bb, fun) {
            gimple_stmt_iterator gsi = gsi_after_labels(bb);
            gasm *site = gimple_build_asm_vec(SITE_ASM, NULL, NULL, NULL, NULL);
            gimple_asm_set_volatile(site, true);
            if (gsi_end_p(gsi))
                gsi_insert_after(&gsi, site, GSI_NEW_STMT);
            else
                gsi_insert_before(&gsi, site, GSI_SAME_STMT);
        }
        return 0;
    }
};

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version)
{
    if (!plugin_default_version_check(version, &gcc_version)) {
        error("fi_blocks: built for GCC %s, not this compiler", gcc_version.basever);
        return 1;
    }
    struct register_pass_info pass;
    pass.pass = new fi_blocks_pass(g);
    pass.reference_pass_name = "optimized";
    pass.ref_pass_instance_number = 1;
    pass.pos_op = PASS_POS_INSERT_AFTER;
    register_callback(info->base_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &pass);
    return 0;
}
